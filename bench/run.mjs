#!/usr/bin/env node
/**
 * `npm run bench`: specbias against its peers on this machine, in one run, as a table of ratios.
 *
 *   npm run bench                                  # paper size: n=1000, D=10, m=4096; eigen n=2000
 *   node bench/run.mjs --steps 20 --eigen-n 1000   # quicker (needs `npm run build` first)
 *
 * Ours: `specbias bench train` (native engine, all threads and 1 thread; tfjs-wasm for context)
 * and `specbias bench eigen`. Peers: bench/torch_step.py (PyTorch CPU, float32 autograd, same
 * network and step), bench/jax_step.py (JAX on XLA CPU, jit-compiled grad step) and
 * bench/numpy_eigh.py (numpy.linalg.eigh). The Python interpreter is BENCH_PYTHON, else the
 * first of python3, /usr/bin/python3 that imports torch (jax, numpy); a missing peer is skipped
 * with a line. The "of peak" column is the GD step's GEMM FLOPs (4nmD: the forward W1 x and the
 * backward W1 gradient, 2nmD each) over its time and the machine's fp32 peak (bench/peak.mjs).
 * "GD step, depth 3": the model family's ReLU network with one hidden m x m layer (`specbias bench
 * train --depth 3`, the same flag for the peers), `--deep-steps` steps; its "of peak" counts the
 * three n m^2 products of the hidden layer (forward, backward, gradient: 6 n m^2 FLOPs).
 * Then `node bench/pipeline.mjs`: a whole paper-size run (Fig. 1a, 3000 steps), each step's time
 * beside the bare GD time (`--no-pipeline` skips it).
 * numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (set on some machines for old
 * OpenBLAS builds, they slow a current one); nothing else is changed.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fp32Peak } from './peak.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    dim: { type: 'string', default: '10' },
    width: { type: 'string', default: '4096' },
    steps: { type: 'string', default: '50' },
    'deep-steps': { type: 'string', default: '10' },
    'eigen-n': { type: 'string', default: '2000' },
    'no-wasm': { type: 'boolean', default: false },
    'no-pipeline': { type: 'boolean', default: false },
  },
});
const threads = cpus().length;

/** Runs a command that prints one JSON value on stdout; returns it, or { error }. */
function runJson(cmd, args, env = process.env) {
  const res = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) return { error: (res.stderr || res.error?.message || `exit ${res.status}`).trim().split('\n').pop() };
  try {
    return JSON.parse(res.stdout);
  } catch {
    return { error: `not JSON: ${res.stdout.slice(0, 200)}` };
  }
}

function python(module) {
  const candidates = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  return candidates.find((py) => spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0) ?? null;
}

const ours = (args, env) =>
  runJson(process.execPath, [join(root, 'bin', 'specbias.js'), 'bench', ...args, '--json'], { ...process.env, ...env });
const size = ['--n', values.n, '--dim', values.dim, '--width', values.width];

const rows = [];
const note = (line) => process.stderr.write(`${line}\n`);

note(
  `bench: GD step at n=${values.n}, D=${values.dim}, m=${values.width} over ${values.steps} steps; eigendecomposition at n=${values['eigen-n']}`,
);
const nativeAll = ours(['train', ...size, '--steps', values.steps, '--engine', 'native']);
const nativeOne = ours(['train', ...size, '--steps', values.steps, '--engine', 'native'], { SPECBIAS_THREADS: '1' });
const wasm = values['no-wasm']
  ? null
  : ours(['train', ...size, '--steps', String(Math.min(5, Number(values.steps))), '--engine', 'tfjs-wasm']);

const torchPy = python('torch');
const torchAll = torchPy
  ? runJson(torchPy, ['bench/torch_step.py', ...size, '--steps', values.steps, '--threads', String(threads)])
  : { error: 'no Python with torch (apt-get install python3-torch, or set BENCH_PYTHON)' };
const torchOne = torchPy ? runJson(torchPy, ['bench/torch_step.py', ...size, '--steps', values.steps, '--threads', '1']) : torchAll;

const jaxPy = python('jax');
const jaxAll = jaxPy
  ? runJson(jaxPy, ['bench/jax_step.py', ...size, '--steps', values.steps, '--threads', String(threads)])
  : { error: 'no Python with jax (pip install jax jaxlib, or set BENCH_PYTHON)' };
const jaxOne = jaxPy ? runJson(jaxPy, ['bench/jax_step.py', ...size, '--steps', values.steps, '--threads', '1']) : jaxAll;

const deep = ['--steps', values['deep-steps'], '--depth', '3'];
const nativeDeep = ours(['train', ...size, ...deep, '--engine', 'native']);
const torchDeep = torchPy ? runJson(torchPy, ['bench/torch_step.py', ...size, ...deep, '--threads', String(threads)]) : torchAll;
const jaxDeep = jaxPy ? runJson(jaxPy, ['bench/jax_step.py', ...size, ...deep, '--threads', String(threads)]) : jaxAll;

const eigen = ours(['eigen', '--n', values['eigen-n']]);
const numpyPy = python('numpy');
const numpyEnv = { ...process.env };
delete numpyEnv.OPENBLAS_CORETYPE;
delete numpyEnv.OPENBLAS_L2_SIZE;
const numpy = numpyPy ? runJson(numpyPy, ['bench/numpy_eigh.py', '--n', values['eigen-n']], numpyEnv) : { error: 'no Python with numpy' };

const ms = (r) => (r && !r.error ? `${r.msPerStep} ms` : r?.error ? 'n/a' : '-');
const sec = (r) => (r && !r.error ? `${r.seconds} s` : 'n/a');
const ratio = (a, b) => (a && b && !a.error && !b.error ? (a / b).toFixed(3) : 'n/a');

const peak = fp32Peak();
const stepFlops = 4 * Number(values.n) * Number(values.width) * Number(values.dim);
const ofPeak = (r, cores, flops = stepFlops) =>
  r && !r.error && peak ? `${((100 * flops) / (r.msPerStep * 1e-3) / (peak.perCore * cores)).toFixed(0)}%` : 'n/a';
const deepFlops = 6 * Number(values.n) * Number(values.width) ** 2;

rows.push([
  `GD step, ${threads} threads`,
  `native ${ms(nativeAll)}`,
  `PyTorch ${ms(torchAll)}`,
  ratio(nativeAll.msPerStep, torchAll.msPerStep),
  ofPeak(nativeAll, threads),
  '<= 0.25',
]);
rows.push([
  `GD step, ${threads} threads`,
  `native ${ms(nativeAll)}`,
  `JAX ${ms(jaxAll)}`,
  ratio(nativeAll.msPerStep, jaxAll.msPerStep),
  '',
  '',
]);
rows.push([
  'GD step, 1 thread',
  `native ${ms(nativeOne)}`,
  `PyTorch ${ms(torchOne)}`,
  ratio(nativeOne.msPerStep, torchOne.msPerStep),
  ofPeak(nativeOne, 1),
  '',
]);
rows.push(['GD step, 1 thread', `native ${ms(nativeOne)}`, `JAX ${ms(jaxOne)}`, ratio(nativeOne.msPerStep, jaxOne.msPerStep), '', '']);
rows.push([
  `GD step, depth 3, ${threads} threads`,
  `native ${ms(nativeDeep)}`,
  `PyTorch ${ms(torchDeep)}`,
  ratio(nativeDeep.msPerStep, torchDeep.msPerStep),
  ofPeak(nativeDeep, threads, deepFlops),
  '',
]);
rows.push([
  `GD step, depth 3, ${threads} threads`,
  `native ${ms(nativeDeep)}`,
  `JAX ${ms(jaxDeep)}`,
  ratio(nativeDeep.msPerStep, jaxDeep.msPerStep),
  ofPeak(jaxDeep, threads, deepFlops),
  '',
]);
if (wasm)
  rows.push([
    'GD step, tfjs-wasm (1 thread)',
    `tfjs-wasm ${ms(wasm)}`,
    `PyTorch ${ms(torchOne)}`,
    ratio(wasm.msPerStep, torchOne.msPerStep),
    ofPeak(wasm, 1),
    '',
  ]);
rows.push([
  `eigh n=${values['eigen-n']} (values + vectors)`,
  `${eigen.method ?? 'specbias'} ${sec(eigen)}`,
  `numpy ${sec(numpy)}`,
  ratio(eigen.seconds, numpy.seconds),
  '',
  '<= 1.3',
]);

const header = ['workload', 'specbias', 'peer', 'ratio', 'of fp32 peak', 'target'];
const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => String(r[j]).length)));
const line = (r) => `| ${r.map((c, j) => String(c).padEnd(widths[j])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log('');
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${threads} hardware threads, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (peak) console.log(`fp32 peak: ${peak.derivation}; GD step = ${(stepFlops / 1e6).toFixed(1)} MFLOP (4nmD)`);
if (torchAll && !torchAll.error) console.log(`PyTorch ${torchAll.torch} (${torchPy})`);
if (jaxAll && !jaxAll.error) console.log(`JAX ${jaxAll.jax} (${jaxPy})`);
if (numpy && !numpy.error) console.log(`numpy ${numpy.numpy ?? '?'} (${numpyPy})`);
for (const [name, r] of [
  ['native', nativeAll],
  ['native 1 thread', nativeOne],
  ['native depth 3', nativeDeep],
  ['tfjs-wasm', wasm],
  ['PyTorch', torchAll],
  ['JAX', jaxAll],
  ['PyTorch depth 3', torchPy ? torchDeep : null],
  ['JAX depth 3', jaxPy ? jaxDeep : null],
  ['eigen', eigen],
  ['numpy', numpy],
]) {
  if (r?.error) console.log(`${name}: ${r.error}`);
}

// The whole pipeline at paper size, step by step against the bare GD steps (its own table).
if (!values['no-pipeline']) {
  console.log('');
  const res = spawnSync(process.execPath, [join(root, 'bench', 'pipeline.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) console.log(`pipeline: bench/pipeline.mjs exited ${res.status}`);
}
