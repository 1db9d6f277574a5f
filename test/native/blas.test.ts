/**
 * The addon built against PyPI's scipy-openblas32 with the system's BLAS hidden
 * (SPECBIAS_BLAS_SOURCE=wheel), in a temp folder so native/build is left alone: it reports the
 * library it loaded, takes its thread count from the budget (fixed while training runs), and its
 * eigh and training kernels agree with the default build and with independent references.
 * Skipped, with one line, only where pip cannot install the wheel (no network, no pip).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng, symmetricEigen } from '../../src/math/index.js';
import { forwardReference, gdStepReference, initWeights, trainNative, type TrainInput, type TrainLog } from '../../src/model/index.js';
import { loadNative, type NativeAddon } from '../../src/native/index.js';
import { maxScaledError, trainingProblem } from '../model/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts', 'build-native.mjs');

/** The pinned wheel, installed into .tools/openblas if missing: { lib, libDir, version } or { error }. */
function wheel(): { lib?: string; libDir?: string; version?: string; error?: string } {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import('${join(root, 'scripts', 'openblas-wheel.mjs')}').then((m) => console.log(JSON.stringify(m.installOpenblasWheel())))`,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? JSON.parse(r.stdout) : { error: r.stderr.trim().split('\n').pop() };
}

/** Builds native/ into dir with SPECBIAS_BLAS_SOURCE=source; returns the script's output and the addon's path. */
function buildOnly(dir: string, source: string, extraEnv: NodeJS.ProcessEnv = {}): { output: string; path: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, SPECBIAS_BLAS_SOURCE: source, ...extraEnv };
  delete env.SPECBIAS_BLAS;
  delete env.SPECBIAS_NO_LAPACK;
  delete env.SPECBIAS_SKIP_NATIVE;
  const r = spawnSync(process.execPath, [script, '--out', dir], { encoding: 'utf8', env });
  const output = `${r.stdout}${r.stderr}`.trim();
  expect(r.status, output).toBe(0);
  return { output, path: join(dir, 'build', 'Release', 'specbias_native.node') };
}

/** buildOnly, then the addon loaded into this process. */
function build(dir: string, source: string): { output: string; addon: NativeAddon } {
  const { output, path } = buildOnly(dir, source);
  return { output, addon: createRequire(import.meta.url)(path) as NativeAddon };
}

/** A random symmetric n x n matrix with N(0, 1) entries: simple eigenvalues, so vectors are unique up to sign. */
function randomSymmetric(n: number): Float64Array {
  const rng = new Prng(5, 'test/blas');
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = rng.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** max over j of the distance between column j of u and of v, up to sign. */
function maxVectorDistance(u: Float64Array, v: Float64Array, n: number): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += u[i * n + j]! * v[i * n + j]!;
    const s = Math.sign(dot);
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(u[i * n + j]! - s * v[i * n + j]!));
  }
  return worst;
}

async function trainLogs(input: TrainInput, addon: NativeAddon, precision: 'f32' | 'f64'): Promise<TrainLog[]> {
  const logs: TrainLog[] = [];
  await trainNative(input, { onLog: (log) => void logs.push(log) }, addon, { precision, threads: 2 });
  return logs;
}

const wheelInstall = wheel();
if (wheelInstall.error) console.warn(`test/native/blas.test.ts skipped: the scipy-openblas32 wheel is unavailable (${wheelInstall.error})`);

describe.skipIf(Boolean(wheelInstall.error))('the addon built against the scipy-openblas32 wheel', () => {
  const dirs: string[] = [];
  let built: { output: string; addon: NativeAddon };
  const defaultAddon = loadNative();

  beforeAll(() => {
    dirs.push(mkdtempSync(join(tmpdir(), 'specbias-blas-')));
    built = build(dirs[0]!, 'wheel');
  }, 300_000);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('links the wheel, not the system library, and reports what it loaded', () => {
    expect(built.output).toContain(`specbias: native engine built (BLAS/LAPACK: scipy-openblas32 ${wheelInstall.version} from PyPI`);
    const info = built.addon.info();
    expect(info.lapack).toBe(true);
    const blas = info.blas!;
    expect(realpathSync(blas.library)).toBe(realpathSync(wheelInstall.lib!));
    expect(info.lapackLibrary).toBe(blas.library);
    expect(blas.prefix).toBe('scipy_');
    // The wheel's version is OpenBLAS's, plus the wheel's build number.
    expect(blas.config).toMatch(new RegExp(`^OpenBLAS ${wheelInstall.version!.replaceAll('.', '\\.')} `));
    expect(blas.corename).toMatch(/^\w+$/);
    expect(blas.parallel).toBe(1);
  });

  it('gives BLAS the thread budget, and keeps it while training runs are in flight', async () => {
    const addon = built.addon;
    const small = new Float64Array([2, 1, 1, 2]);
    addon.setBlasThreads(1);
    addon.eighSync(small, 2, false);
    expect(addon.info().blas).toMatchObject({ threads: 1, openblasThreads: 1, budget: 1 });
    addon.setBlasThreads(3);
    expect(addon.info().blas).toMatchObject({ threads: 3, openblasThreads: 1, budget: 3 });
    addon.eighSync(small, 2, false);
    expect(addon.info().blas).toMatchObject({ threads: 3, openblasThreads: 3, budget: 3 });
    // Resizing OpenBLAS's pool between calls from different threads once hung dsyevd, so a
    // training run in flight must leave the count alone: solve repeatedly while one runs.
    const input = trainingProblem('native', { nTrain: 200, nTest: 0, dim: 10, width: 128 });
    const w = initWeights(0, 128, 10);
    const trainer = new addon.Trainer({ ...input, w1: w.w1, w2: w.w2, threads: 2 });
    let solvesDuringRun = 0;
    try {
      let done = false;
      const run = trainer.run(3000, false).then(() => void (done = true));
      while (!done) {
        addon.eighSync(small, 2, false);
        // In flight before and after the check means in flight during the solve.
        if (!done) {
          expect(addon.info().blas).toMatchObject({ threads: 3, openblasThreads: 3 });
          solvesDuringRun++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await run;
    } finally {
      trainer.close();
    }
    expect(solvesDuringRun).toBeGreaterThan(0);
    addon.setBlasThreads(0);
    expect(addon.info().blas!.threads).toBe(addon.info().hardwareThreads);
    expect(() => addon.setBlasThreads(-1)).toThrow('setBlasThreads(threads): threads must be an integer >= 0');
  });

  it('eigh agrees with ml-matrix and with the default build', async () => {
    const n = 120;
    const a = randomSymmetric(n);
    const fromWheel = await built.addon.eigh(a, n, true);
    const js = symmetricEigen(a, n, { vectors: true, method: 'ml-matrix' });
    const scale = Math.abs(js.values[0]!);
    for (let j = 0; j < n; j++) expect(Math.abs(fromWheel.values[j]! - js.values[j]!)).toBeLessThan(1e-12 * scale);
    expect(maxVectorDistance(fromWheel.vectors!, js.vectors!, n)).toBeLessThan(1e-9);
    if (defaultAddon?.info().lapack) {
      const fromDefault = defaultAddon.eighSync(a, n, true);
      for (let j = 0; j < n; j++) expect(Math.abs(fromWheel.values[j]! - fromDefault.values[j]!)).toBeLessThan(1e-12 * scale);
      expect(maxVectorDistance(fromWheel.vectors!, fromDefault.vectors!, n)).toBeLessThan(1e-9);
    }
  });

  it('trains like the float64 reference and like the default build', async () => {
    const input = trainingProblem('native', { nTrain: 37, nTest: 11, dim: 10, width: 100, theta: 1.3, learningRate: 1.5, steps: 5 });
    const f64 = await trainLogs(input, built.addon, 'f64');
    let w = initWeights(input.seed, input.width, input.dim);
    for (let s = 0; s <= input.steps; s++) {
      if (s > 0) w = gdStepReference(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
      const yHat = forwardReference(w, input.theta, input.xTrain, input.nTrain);
      expect(
        maxScaledError(
          f64[s]!.residualTrain,
          input.yTrain.map((y, i) => y - yHat[i]!),
        ),
      ).toBeLessThan(1e-12);
    }
    if (defaultAddon) {
      const f32 = await trainLogs(input, built.addon, 'f32');
      const f32Default = await trainLogs(input, defaultAddon, 'f32');
      for (let s = 0; s <= input.steps; s++) {
        expect(maxScaledError(f32[s]!.residualTrain, f32Default[s]!.residualTrain)).toBeLessThan(1e-6);
        expect(maxScaledError(f32[s]!.residualTest, f32Default[s]!.residualTest)).toBeLessThan(1e-6);
      }
    }
  });

  it('takes a system library without symbol prefix, and reports null for what only OpenBLAS says', () => {
    // The system's "libopenblas": a shim exporting unprefixed dsyevd_ and openblas_get_config over
    // the wheel, found by the linker through LIBRARY_PATH and at run time through LD_LIBRARY_PATH.
    dirs.push(mkdtempSync(join(tmpdir(), 'specbias-blas-')));
    const dir = dirs.at(-1)!;
    const shim = join(dir, 'shim.c');
    writeFileSync(
      shim,
      `extern void scipy_dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*, int*, unsigned long, unsigned long);
void dsyevd_(const char* j, const char* u, const int* n, double* a, const int* lda, double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info, unsigned long lj, unsigned long lu) {
  scipy_dsyevd_(j, u, n, a, lda, w, work, lwork, iwork, liwork, info, lj, lu);
}
extern char* scipy_openblas_get_config(void);
char* openblas_get_config(void) { return scipy_openblas_get_config(); }
`,
    );
    const libDir = join(dir, 'lib');
    mkdirSync(libDir);
    const cc = spawnSync(
      'cc',
      ['-shared', '-fPIC', '-o', join(libDir, 'libopenblas.so'), shim, wheelInstall.lib!, `-Wl,-rpath,${wheelInstall.libDir}`],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const system = buildOnly(join(dir, 'addon'), 'system', {
      LIBRARY_PATH: libDir,
      LD_LIBRARY_PATH: libDir,
      PKG_CONFIG_PATH: join(dir, 'no-pc'),
    });
    expect(system.output).toBe("specbias: native engine built (BLAS/LAPACK: the system's, -lopenblas)");
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `const a = require(${JSON.stringify(system.path)}); console.log(JSON.stringify({ blas: a.info().blas, values: Array.from(a.eighSync(new Float64Array([2, 1, 1, 2]), 2, false).values) }))`,
      ],
      { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: libDir } },
    );
    expect(probe.status, probe.stderr).toBe(0);
    const { blas, values } = JSON.parse(probe.stdout);
    expect(values).toEqual([3, 1]);
    expect(blas).toEqual({
      library: join(libDir, 'libopenblas.so'),
      prefix: '',
      config: built.addon.info().blas!.config,
      corename: null,
      threads: null,
      openblasThreads: null,
      parallel: null,
      budget: built.addon.info().hardwareThreads,
    });
  }, 300_000);

  it('without any BLAS it still builds, and says in one line what that costs and how to fix it', () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'specbias-blas-')));
    const none = build(dirs.at(-1)!, 'none');
    expect(none.output).toBe(
      'specbias: native engine built without BLAS/LAPACK (SPECBIAS_BLAS_SOURCE=none). Gram eigensolves use ml-matrix, about 70x slower (71 s instead of 1 s at n = 2000). ' +
        "Fix: make `python3 -m pip` work (for PyPI's scipy-openblas32), or install libopenblas-dev, or set SPECBIAS_BLAS=/path/to/libopenblas.so; then `npm run build:native`",
    );
    expect(none.addon.info()).toMatchObject({ lapack: false, lapackLibrary: '', blas: null });
    expect(() => none.addon.eighSync(new Float64Array([2, 1, 1, 2]), 2, false)).toThrow('eigh: the addon was built without LAPACK');
  }, 300_000);
});
