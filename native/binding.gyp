{
  # Built by scripts/build-native.mjs, which finds BLAS/LAPACK and passes
  #   -Dspecbias_blas_libs=-lopenblas      (or -llapack, or the path of PyPI's libscipy_openblas.so;
  #                                          empty: no LAPACK, JS eigensolver)
  #   -Dspecbias_blas_prefix=scipy_        (the library's symbol prefix, see src/blas.h)
  #   -Dspecbias_blas_rpath=/dir           (where the dynamic linker finds a library outside its path)
  # A plain `node-gyp rebuild` here builds without LAPACK.
  'variables': {
    'specbias_blas_libs%': '',
    'specbias_blas_prefix%': '',
    'specbias_blas_rpath%': '',
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
      'sources': ['src/train_kernel.cc', 'src/deep_kernel.cc'],
      'defines': ['SPECBIAS_KERNEL_NS=base'],
    },
    {
      'target_name': 'specbias_native',
      'sources': [
        'src/addon.cc',
        'src/blas.cc',
        'src/linalg.cc',
        'src/ntk_gram.cc',
        'src/thread_pool.cc',
      ],
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
        ['specbias_blas_libs!=""', {
          'defines': ['SPECBIAS_HAVE_LAPACK', 'SPECBIAS_BLAS_PREFIX=<(specbias_blas_prefix)'],
          'libraries': ['<(specbias_blas_libs)', '-ldl'],
        }],
        ['specbias_blas_rpath!=""', {
          'libraries': ['-Wl,-rpath,<(specbias_blas_rpath)'],
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
          'sources': ['src/train_kernel.cc', 'src/deep_kernel.cc'],
          'defines': ['SPECBIAS_KERNEL_NS=avx2'],
          'cflags_cc': ['-mavx2', '-mfma', '-ffp-contract=fast'],
        },
      ],
    }],
  ],
}
