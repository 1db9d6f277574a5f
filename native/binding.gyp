{
  # Built by scripts/build-native.mjs, which probes for LAPACK and passes
  #   -Dspecbias_lapack_libs=-llapack    (or -lopenblas; empty: no LAPACK, JS eigensolver)
  # A plain `node-gyp rebuild` here builds without LAPACK.
  'variables': {
    'specbias_lapack_libs%': '',
  },
  'target_defaults': {
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    # No -ffast-math anywhere: a run must be bit-identical for the same binary and input.
    'cflags': ['-O3', '-fPIC', '-pthread'],
    'cflags_cc': ['-O3', '-fPIC', '-pthread'],
    'ldflags': ['-pthread'],
  },
  'targets': [
    {
      # The fused GD kernel for the compiler's baseline (SSE2 on x86-64): runs everywhere.
      'target_name': 'specbias_kernel_base',
      'type': 'static_library',
      'sources': ['src/train_kernel.cc'],
      'defines': ['SPECBIAS_KERNEL_NS=base'],
    },
    {
      'target_name': 'specbias_native',
      'sources': ['src/addon.cc', 'src/linalg.cc', 'src/thread_pool.cc', 'src/ntk_gram.cc'],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
        'specbias_kernel_base',
      ],
      # The Gram matrix must do the same operations as src/math/ntk.ts: no fused multiply-add.
      'cflags_cc': ['-ffp-contract=off'],
      'defines': ['NAPI_VERSION=8'],
      'conditions': [
        ['target_arch=="x64"', {
          'dependencies': ['specbias_kernel_avx2'],
          'defines': ['SPECBIAS_HAVE_AVX2_KERNEL'],
        }],
        ['specbias_lapack_libs!=""', {
          'defines': ['SPECBIAS_HAVE_LAPACK', 'SPECBIAS_LAPACK_LIBS=<(specbias_lapack_libs)'],
          'libraries': ['<(specbias_lapack_libs)'],
        }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          # The same kernel for AVX2 + FMA (x86-64-v3); the addon uses it when the CPU has both.
          'target_name': 'specbias_kernel_avx2',
          'type': 'static_library',
          'sources': ['src/train_kernel.cc'],
          'defines': ['SPECBIAS_KERNEL_NS=avx2'],
          'cflags_cc': ['-mavx2', '-mfma', '-ffp-contract=fast'],
        },
      ],
    }],
  ],
}
