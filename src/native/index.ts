/**
 * The native addon (native/, built by scripts/build-native.mjs into
 * native/build/Release/specbias_native.node): loads it at most once per process and says why not
 * when it cannot. The training engine (src/model/native-engine.ts) and the eigensolver
 * (src/math/eigen.ts) both reach it through here.
 *
 *   const addon = loadNative();              // null when absent, unloadable or switched off
 *   if (!addon) console.warn(nativeUnavailableReason());
 *
 * SPECBIAS_NATIVE=0 switches the addon off (read on every call, so tests can flip it): training
 * with engine 'auto' then uses tfjs-wasm and the eigensolver uses ml-matrix.
 * SPECBIAS_NATIVE_PATH=/path/to/specbias_native.node loads another build.
 *
 * On load, the BLAS thread budget is set from the engine's thread setting (SPECBIAS_THREADS, else
 * one per hardware thread): OpenBLAS and the training pool share those cores (docs/performance.md).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeThreads } from '../model/native-engine.js';

/** The BLAS/LAPACK the addon loaded. Fields only OpenBLAS reports are null with another library. */
export interface NativeBlasInfo {
  /** The file that holds dsyevd, e.g. '.../.tools/openblas/scipy_openblas32/lib/libscipy_openblas.so'. */
  library: string;
  /** Symbol prefix: '' for a system library, 'scipy_' for PyPI's scipy-openblas32. */
  prefix: string;
  /** openblas_get_config(), e.g. 'OpenBLAS 0.3.34.481.3 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64'. */
  config: string | null;
  /** The kernel set OpenBLAS picked for this CPU, e.g. 'Haswell'. */
  corename: string | null;
  /** Threads the next BLAS call gets: the budget (the engine's thread setting). */
  threads: number | null;
  /** openblas_get_num_threads() now: what the last call got (before any call, OpenBLAS's own default). */
  openblasThreads: number | null;
  /** 0 sequential, 1 pthreads, 2 OpenMP. */
  parallel: number | null;
  /** Threads BLAS calls and training runs share (setBlasThreads). */
  budget: number;
}

export interface NativeInfo {
  /** Built against a LAPACK with dsyevd. */
  lapack: boolean;
  /** The loaded file that provides dsyevd; '' without. */
  lapackLibrary: string;
  /** The loaded BLAS/LAPACK; null without. */
  blas: NativeBlasInfo | null;
  /** The training kernel this CPU gets: 'avx2' (AVX2 + FMA) or 'baseline'. */
  isa: 'avx2' | 'baseline';
  hardwareThreads: number;
  /** Neurons per work chunk; the reduction order is fixed per chunk, not per thread. */
  chunk: number;
}

/** What both native trainers take: the points, their targets and the sizes, the threads and kernel, and a state to resume. */
export interface NativeTrainingProblem {
  xTrain: Float64Array;
  yTrain: Float64Array;
  nTrain: number;
  xTest: Float64Array;
  yTest: Float64Array;
  nTest: number;
  dim: number;
  width: number;
  theta: number;
  learningRate: number;
  /** 0 = one per hardware thread (capped by the number of chunks). */
  threads: number;
  isa?: 'auto' | 'avx2' | 'baseline';
  /** Optimizer state from the trainer's optimizerState(), to resume (heavy ball: velocity; Adam: moments). */
  state?: Float64Array;
}

export interface NativeTrainerOptions extends NativeTrainingProblem {
  /** Starting weights, float64: W1 m x D row-major, W2 m. */
  w1: Float64Array;
  w2: Float64Array;
  /** Compute precision; accumulation across tiles and chunks and the master weights are float64 either way. */
  precision?: 'f32' | 'f64';
  /** 'gd' (default), 'sgd' or 'adam'; sgd and adam train through runLogged with batches. */
  optimizer?: 'gd' | 'sgd' | 'adam';
  /** Mini-batch size (sgd, adam). */
  batchSize?: number;
  /** Heavy-ball momentum (sgd). */
  momentum?: number;
  /** Adam's step (not NTK-scaled) and moments. */
  adamLearningRate?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Steps already taken (Adam's bias corrections count from here). */
  firstStep?: number;
}

export interface NativeRunResult {
  /** Steps applied by this call. */
  done: number;
  /** False when the training loss became NaN or infinite (training stopped there). */
  finite: boolean;
  sumSqTrain: number;
  sumSqTest: number;
}

/** What {@link NativeTrainer.runLogged} returns. */
export interface NativeLoggedResult {
  /** Steps applied. */
  done: number;
  /** False when the training loss became NaN or infinite (training stopped there, unlogged). */
  finite: boolean;
  /** How many of the requested logs were taken (all, unless training stopped early). */
  logged: number;
  /** logged x (nTrain + nTest): per log, the train residual, then the test residual. */
  residuals: Float64Array;
  /** logged x 2: per log, the train and the test sum of squared residuals. */
  sumSq: Float64Array;
}

export interface NativeTrainer {
  /** Applies up to `steps` GD steps off the JS thread; with wantTest, also the test residual. */
  run(steps: number, wantTest: boolean): Promise<NativeRunResult>;
  /**
   * Applies up to `steps` GD steps off the JS thread and takes the residuals at the local steps
   * `logAt` (strictly ascending in [0, steps]; 0 = before the first step), each exactly what
   * run(0, true) would read there. Stops after a log whose test loss is not finite.
   */
  runLogged(steps: number, logAt: Int32Array, batches?: Int32Array): Promise<NativeLoggedResult>;
  /** The optimizer state: heavy ball u (m D + m), Adam m then v (2 (m D + m)), GD empty. */
  optimizerState(): Float64Array;
  residualTrain(): Float64Array;
  residualTest(): Float64Array;
  weights(): { w1: Float64Array; w2: Float64Array };
  describe(): string;
  close(): void;
}

/** The model family's trainer (native/src/deep_kernel.h): options as the Trainer's, weights flat. */
export interface NativeDeepTrainerOptions extends NativeTrainingProblem {
  depth: number;
  bias: number;
  activation: 'relu' | 'erf' | 'tanh' | 'gelu';
  /** c_sigma of the activation: the layer scale is sqrt(cSigma / m). */
  cSigma: number;
  /** The weights in the layout of flattenDeepWeights (src/model/reference-deep.ts). */
  weights: Float64Array;
  optimizer?: 'gd' | 'sgd';
  batchSize?: number;
  momentum?: number;
}

export interface NativeDeepTrainer {
  runLogged(steps: number, logAt: Int32Array, batches?: Int32Array): Promise<NativeLoggedResult>;
  /** Heavy-ball velocity (weights' layout), else empty. */
  optimizerState(): Float64Array;
  /** The weights, flat (flattenDeepWeights' layout). */
  weights(): Float64Array;
  describe(): string;
  close(): void;
}

export interface NativeEigenResult {
  values: Float64Array;
  vectors: Float64Array | null;
}

export interface NativeAddon {
  info(): NativeInfo;
  Trainer: new (options: NativeTrainerOptions) => NativeTrainer;
  /** The model family's trainer; absent in addons built before it. */
  DeepTrainer?: new (options: NativeDeepTrainerOptions) => NativeDeepTrainer;
  gram(x: Float64Array, n: number, dim: number): Float64Array;
  /**
   * P_k in place on an n x n matrix of inner products (diagonal 1, the upper triangle mirrored),
   * the same bits as `gegenbauer` (src/math/eigenspace.ts `zonalKernel`); absent in addons built before it.
   */
  zonalFill?(a: Float64Array, n: number, dim: number, k: number): void;
  eigh(a: Float64Array, n: number, wantVectors: boolean): Promise<NativeEigenResult>;
  eighSync(a: Float64Array, n: number, wantVectors: boolean): NativeEigenResult;
  /** The empirical NTK Gram at weights (w1, w2) between xa and xb (null: xa), na x nb; see src/math/empirical-ntk.ts. */
  empiricalNtk(
    w1: Float64Array,
    w2: Float64Array,
    m: number,
    dim: number,
    xa: Float64Array,
    na: number,
    xb: Float64Array | null,
    nb: number,
    threads: number,
  ): Promise<Float64Array>;
  /**
   * op(a) op(b), m x n row-major, by BLAS dgemm (src/math/matmul.ts), into `out` when given (addons
   * built before it ignore `out`); absent in addons built before it.
   */
  matmul?(
    a: Float64Array,
    b: Float64Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    out?: Float64Array,
  ): Float64Array;
  /**
   * The relu features of pre-activations (n x m row-major): relu in place, and the gates
   * W2_j 1(pre_aj > 0) returned; absent in addons built before it.
   */
  reluFeatures?(pre: Float64Array, w2: Float64Array, n: number, m: number): Float64Array;
  /**
   * The paper network's empirical NTK between the `rows` points of x and its first p, rows x p, by
   * float32 BLAS products off the JS thread (native/src/ntk_gram.h); only in addons with LAPACK.
   */
  empiricalNtkProducts?(
    w1: Float64Array,
    w2: Float64Array,
    m: number,
    dim: number,
    x: Float64Array,
    rows: number,
    p: number,
  ): Promise<Float64Array>;
  /**
   * vᵀΘ̂v of the paper network's empirical NTK on the n points x for each row v of vs (k x n
   * row-major), fused per neuron on `threads` threads (native/src/ntk_gram.h); absent in addons
   * built before it.
   */
  empiricalNtkQuadratics?(
    w1: Float64Array,
    w2: Float64Array,
    m: number,
    dim: number,
    x: Float64Array,
    n: number,
    vs: Float64Array,
    k: number,
    threads: number,
  ): Float64Array;
  /** The thread budget BLAS shares with training runs; 0 = one per hardware thread. */
  setBlasThreads(threads: number): void;
}

let loaded: { addon: NativeAddon | null; reason: string } | undefined;

/** native/build/Release/specbias_native.node, found from this file in src/ or dist/src/. */
function addonPath(): string | null {
  if (process.env.SPECBIAS_NATIVE_PATH) return resolve(process.env.SPECBIAS_NATIVE_PATH);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'specbias_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** True when SPECBIAS_NATIVE=0 (or false/off/no) switches the addon off. */
export function nativeDisabled(): boolean {
  const v = process.env.SPECBIAS_NATIVE?.trim().toLowerCase();
  return v === '0' || v === 'false' || v === 'off' || v === 'no';
}

/** The addon, or null when it is switched off, was not built or does not load here. */
export function loadNative(): NativeAddon | null {
  if (nativeDisabled()) return null;
  if (!loaded) {
    const path = addonPath();
    if (!path) {
      loaded = {
        addon: null,
        reason: 'native/build/Release/specbias_native.node is missing: run `node scripts/build-native.mjs` (needs g++, make, python3)',
      };
    } else {
      try {
        const addon = createRequire(import.meta.url)(path) as NativeAddon;
        addon.setBlasThreads(nativeThreads());
        addon.info();
        loaded = { addon, reason: '' };
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        loaded = { addon: null, reason: `${path} did not load (${msg}); rebuild it with \`node scripts/build-native.mjs\`` };
      }
    }
  }
  return loaded.addon;
}

/** Why {@link loadNative} returns null, in one line; '' when it does not. */
export function nativeUnavailableReason(): string {
  if (nativeDisabled()) return 'SPECBIAS_NATIVE=0 switches the native addon off';
  loadNative();
  return loaded?.reason ?? '';
}

/**
 * The BLAS/LAPACK in use, for manifests and `specbias bench`: e.g. { name: 'OpenBLAS 0.3.34.481.3',
 * library, corename: 'Haswell', threads: 2 }, or null when eigensolves run on ml-matrix.
 */
export interface BlasProvenance {
  /** Vendor and version, from openblas_get_config(); the library's file name for another LAPACK. */
  name: string;
  library: string;
  config: string | null;
  corename: string | null;
  threads: number | null;
}

export function blasProvenance(): BlasProvenance | null {
  const blas = loadNative()?.info().blas;
  if (!blas) return null;
  const name = blas.config?.match(/^OpenBLAS \S+/)?.[0] ?? basename(blas.library);
  return { name, library: blas.library, config: blas.config, corename: blas.corename, threads: blas.threads };
}
