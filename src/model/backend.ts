/**
 * TensorFlow.js backend setup for Node: loads tfjs lazily, initializes the WebAssembly backend
 * once, and hands out the process-global backend to one engine at a time.
 *
 *   const lease = await acquireBackend('auto');   // tfjs-wasm if it initializes, else tfjs-cpu
 *   try { lease.tf.matMul(a, b); } finally { lease.release(); }
 *
 * 'tfjs-node' and 'tfjs-node-gpu' load the optional packages @tensorflow/tfjs-node(-gpu) by
 * dynamic import, only when asked for; they register tfjs's 'tensorflow' backend (TensorFlow's C
 * library, with CUDA for -gpu). Absent or unloadable, the request fails with one line saying so.
 *
 * tfjs has one active backend per process. Runs on the same backend may overlap (they only
 * interleave on the one JS thread); a run that needs the other backend waits until they end, so
 * no run's tensors change backend underneath it.
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';

export type Tf = typeof import('@tensorflow/tfjs');

/** A concrete engine: the tfjs backend doing the arithmetic. */
export type TfjsEngine = 'tfjs-wasm' | 'tfjs-cpu' | 'tfjs-node' | 'tfjs-node-gpu';

/** The optional package behind each TensorFlow-backed engine. */
export const TFJS_NODE_PACKAGES = {
  'tfjs-node': '@tensorflow/tfjs-node',
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
} as const;
type TfjsNodeEngine = keyof typeof TFJS_NODE_PACKAGES;

export interface BackendLease {
  tf: Tf;
  engine: TfjsEngine;
  /** What ran the arithmetic, for provenance, e.g. 'tfjs 4.22.0 wasm (SIMD, 1 thread)'. */
  backend: string;
  /** Lets runs that need another backend proceed; call exactly once. */
  release(): void;
}

let tfLoad: Promise<Tf> | undefined;
const nodeLoads: Partial<Record<TfjsNodeEngine, Promise<Tf | Error>>> = {};
let wasmLoad: Promise<string | Error> | undefined;
let wasmFailure: Error | undefined;
let holder: { name: string; count: number } = { name: '', count: 0 };
let waiters: Array<() => void> = [];

function loadTf(): Promise<Tf> {
  tfLoad ??= import('@tensorflow/tfjs').then((tf) => {
    // PROD only silences tfjs's console chatter (the cpu backend's "install tfjs-node" banner,
    // platform notices); it does not change any arithmetic. We print our own one-line warning.
    tf.env().set('PROD', true);
    return tf;
  });
  return tfLoad;
}

/** The folder holding the .wasm binaries; in Node, setWasmPaths needs it as an absolute path. */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + sep;
}

/**
 * Registers the wasm backend and points it at its binaries, once per process. Resolves to a
 * description of the backend, or to the Error that stopped it.
 *
 * Threads: tfjs-backend-wasm 4.22 reports no multithread support under Node (tfjs issue #3830);
 * forcing the flag fails because Node's worker_threads cannot start the blob: worker script the
 * backend builds. So the wasm backend runs on one thread (with SIMD where available), and
 * setThreadsCount has no effect here.
 */
async function loadWasm(tf: Tf): Promise<string | Error> {
  wasmLoad ??= (async () => {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(wasmDistDir());
      const ok = await switchTo(tf, 'wasm');
      if (!ok) return new Error('tfjs-wasm backend failed to initialize');
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      const threads = wasm.getThreadsCount();
      return `tfjs ${tf.version.tfjs} wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  })();
  return wasmLoad;
}

async function switchTo(tf: Tf, name: string): Promise<boolean> {
  // engine().backendName is null before any backend is chosen; tf.getBackend() would instead
  // initialize the highest-priority backend, possibly wasm before its paths are set.
  if (tf.engine().backendName === name) return true;
  return tf.setBackend(name);
}

async function hold(name: string): Promise<void> {
  while (holder.count > 0 && holder.name !== name) await new Promise<void>((resolve) => waiters.push(resolve));
  holder = { name, count: holder.count + 1 };
}

function unhold(): void {
  holder.count -= 1;
  if (holder.count === 0) {
    const wake = waiters;
    waiters = [];
    for (const w of wake) w();
  }
}

/**
 * Makes the requested engine's backend the active tfjs backend and holds it until `release`.
 * 'auto' picks tfjs-wasm if it initializes, else tfjs-cpu with one console.warn line.
 */
export async function acquireBackend(engine: 'auto' | TfjsEngine): Promise<BackendLease> {
  if (engine === 'tfjs-node' || engine === 'tfjs-node-gpu') return acquireTensorflow(engine);
  const tf = await loadTf();
  if (engine === 'tfjs-wasm' && wasmFailure) throw unavailable(wasmFailure);
  if (engine === 'tfjs-wasm' || (engine === 'auto' && !wasmFailure)) {
    await hold('wasm');
    let wasm: string | Error;
    try {
      wasm = await loadWasm(tf);
      if (typeof wasm === 'string' && !(await switchTo(tf, 'wasm'))) wasm = new Error('tf.setBackend("wasm") returned false');
    } catch (err) {
      unhold();
      throw err;
    }
    if (typeof wasm === 'string') return lease(tf, 'tfjs-wasm', wasm);
    unhold();
    const first = wasmFailure === undefined;
    wasmFailure = wasm;
    if (engine === 'tfjs-wasm') throw unavailable(wasm);
    // Once per process: later 'auto' runs go straight to tfjs-cpu.
    if (first) console.warn(`specbias: tfjs-wasm did not initialize (${wasm.message}); falling back to tfjs-cpu, which is much slower`);
  }
  await hold('cpu');
  try {
    if (!(await switchTo(tf, 'cpu'))) throw new Error('tfjs-cpu backend failed to initialize');
  } catch (err) {
    unhold();
    throw err;
  }
  return lease(tf, 'tfjs-cpu', `tfjs ${tf.version.tfjs} cpu (plain JavaScript)`);
}

/**
 * Imports @tensorflow/tfjs-node(-gpu) once; it re-exports tfjs and registers the 'tensorflow'
 * backend on the process-wide tfjs engine. Resolves to the module or to the Error that stopped it.
 */
function loadTfNode(engine: TfjsNodeEngine): Promise<Tf | Error> {
  const name: string = TFJS_NODE_PACKAGES[engine];
  nodeLoads[engine] ??= import(name).then(
    (mod: Tf & { default?: Tf }) => (typeof mod.setBackend === 'function' ? mod : (mod.default ?? mod)),
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  return nodeLoads[engine];
}

async function acquireTensorflow(engine: TfjsNodeEngine): Promise<BackendLease> {
  const tf = await loadTfNode(engine);
  if (tf instanceof Error) {
    const name = TFJS_NODE_PACKAGES[engine];
    throw new Error(
      `training.engine ${engine} needs the optional package ${name}, which is not installed or does not load (${tf.message.split('\n')[0]}); ` +
        `see docs/gpu.md, or use engine auto`,
    );
  }
  await hold('tensorflow');
  try {
    if (!(await switchTo(tf, 'tensorflow'))) throw new Error(`training.engine ${engine}: tf.setBackend("tensorflow") returned false`);
  } catch (err) {
    unhold();
    throw err;
  }
  const device = engine === 'tfjs-node-gpu' ? 'CUDA' : 'CPU';
  return lease(tf, engine, `tfjs ${tf.version.tfjs} tensorflow (${TFJS_NODE_PACKAGES[engine]}, ${device})`);
}

function unavailable(cause: Error): Error {
  return new Error(`training.engine tfjs-wasm is not available (${cause.message}); use engine auto or tfjs-cpu`);
}

function lease(tf: Tf, engine: TfjsEngine, backend: string): BackendLease {
  let released = false;
  return {
    tf,
    engine,
    backend,
    release() {
      if (released) return;
      released = true;
      unhold();
    },
  };
}

/** A tensor's values as float64, and the tensor disposed (the tfjs trainers' logs). */
export function readAndDispose(t: Tensor): Float64Array {
  try {
    return Float64Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

/** 1/(2n) sum r_i^2, summed in float64: the loss the tfjs trainers log, as the native engine does. */
export function halfMeanSquare(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return s / (2 * r.length);
}

/** The tfjs trainers yield to the event loop this often, and report progress this often. */
const YIELD_EVERY_MS = 10;
const PROGRESS_EVERY_MS = 200;

/**
 * Paces a tfjs training loop, which runs on the JavaScript thread: after each step, `await
 * pace(step + 1)` yields a turn of the event loop every ~10 ms (so a Temporal worker keeps
 * heartbeating, and an abort lands) and calls `onProgress` every ~200 ms.
 */
export function stepPacer(
  onProgress: ((step: number) => void) | undefined,
  signal: AbortSignal | undefined,
): (done: number) => Promise<void> {
  let lastYield = performance.now();
  let lastProgress = lastYield;
  return async (done) => {
    const now = performance.now();
    if (now - lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      signal?.throwIfAborted();
    }
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      onProgress?.(done);
    }
  };
}
