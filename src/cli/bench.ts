/**
 * `specbias bench train|eigen`: time one GD step of the paper's network, or one Gram
 * eigendecomposition, on this machine. Peers (PyTorch, numpy) live in bench/; `npm run bench`
 * runs both and prints the ratios (docs/performance.md).
 *
 *   specbias bench train --n 1000 --dim 10 --width 4096 --steps 50 --json
 *   // {"engine":"native","msPerStep":2.9,"n":1000,"dim":10,"width":4096,"steps":50,"blas":{...}}
 *   specbias bench train --depth 3 --bias 0.5 --activation relu --steps 5   // the model family
 *   specbias bench eigen --n 2000 --json
 *   // {"method":"lapack-dsyevd","seconds":1.2,"n":2000,"blas":{"name":"OpenBLAS 0.3.34.481.3",...}}
 *
 * "blas" is the BLAS/LAPACK the native addon loaded (blasProvenance), null without one.
 */
import { eigenMethod, symmetricEigenInWorker } from '../math/eigen.js';
import { ntkGram } from '../math/ntk.js';
import { Prng } from '../math/prng.js';
import { sampleSphere } from '../math/sphere.js';
import { modelFamilyProblem, type ModelFamily } from '../math/ntk-family.js';
import { trainNetwork, type EngineName, type ModelWeights } from '../model/engine.js';
import { blasProvenance, type BlasProvenance } from '../native/index.js';
import { ENGINES } from '../spec/schema.js';
import { CliError } from './errors.js';
import { printJson, say } from './io.js';
import type { CommandArgs } from './main.js';

const KINDS = ['train', 'eigen'] as const;
const METHODS = ['auto', 'lapack-dsyevd', 'ml-matrix'] as const;

function intFlag(values: CommandArgs['values'], name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new CliError(`bench: --${name} must be an integer in [${min}, ${max}], got ${String(raw)}`, 2);
  return v;
}

function oneOf<T extends string>(values: CommandArgs['values'], name: string, allowed: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new CliError(`bench: --${name} must be one of ${allowed.join(', ')}, got ${String(raw)}`, 2);
  return raw as T;
}

export async function benchCommand({ positionals, values }: CommandArgs): Promise<number> {
  const [kind, ...extra] = positionals;
  if (!kind || !(KINDS as readonly string[]).includes(kind) || extra.length > 0) {
    throw new CliError(
      `bench: expected "train" or "eigen", got ${positionals.length ? positionals.map((p) => `"${p}"`).join(' ') : 'nothing'}`,
      2,
    );
  }
  return kind === 'train' ? benchTrain(values) : benchEigen(values);
}

/** n points uniform on S^(dim-1) and the target P_1(<zeta, x>) + P_2(<zeta, x>), from seed 0. */
function benchData(n: number, dim: number): { x: Float64Array; y: Float64Array } {
  const x = sampleSphere(new Prng(0, 'bench/x'), n, dim);
  const zeta = sampleSphere(new Prng(0, 'bench/zeta'), 1, dim);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let k = 0; k < dim; k++) t += zeta[k]! * x[i * dim + k]!;
    y[i] = t + (dim > 1 ? (dim * t * t - 1) / (dim - 1) : 0);
  }
  return { x, y };
}

/** --depth, --bias, --activation (defaults: the paper's 2, 0, relu), checked with a line naming the option. */
function modelFlags(values: CommandArgs['values']): ModelFamily {
  const depth = values.depth === undefined ? 2 : Number(values.depth);
  const bias = values.bias === undefined ? 0 : String(values.bias).trim() === '' ? NaN : Number(values.bias);
  const model = { depth, bias, activation: values.activation === undefined ? 'relu' : String(values.activation) };
  const problem = modelFamilyProblem(model);
  if (problem) throw new CliError(`bench: --${problem.field} ${problem.detail}`, 2);
  return model as ModelFamily;
}

/**
 * Time per full-batch GD step (every layer, eta' = 1, theta = 1): the wall time between the
 * step-0 log and the step-S log, after a short warm-up run, so setup and the initial forward pass
 * are not counted.
 */
async function benchTrain(values: CommandArgs['values']): Promise<number> {
  const n = intFlag(values, 'n', 1000, 1, 1_000_000);
  const dim = intFlag(values, 'dim', 10, 2, 10_000);
  const width = intFlag(values, 'width', 4096, 1, 10_000_000);
  const steps = intFlag(values, 'steps', 50, 1, 1_000_000);
  const engine: EngineName = oneOf(values, 'engine', ENGINES, 'auto');
  const model = modelFlags(values);
  const { x, y } = benchData(n, dim);
  const input = {
    xTrain: x,
    yTrain: y,
    nTrain: n,
    xTest: new Float64Array(0),
    yTest: new Float64Array(0),
    nTest: 0,
    dim,
    width,
    theta: 1,
    learningRate: 1,
    logEvery: steps,
    seed: 0,
    engine,
    model,
  };
  await trainNetwork<ModelWeights>({ ...input, steps: Math.min(3, steps), logEvery: 1 }, { onLog: () => undefined });
  const at: number[] = [];
  const result = await trainNetwork<ModelWeights>({ ...input, steps }, { onLog: () => void at.push(performance.now()) });
  const first = at[0];
  const last = at[at.length - 1];
  if (first === undefined || last === undefined) throw new Error('bench train: the run logged no step, so there is no time to measure');
  const msPerStep = (last - first) / steps;
  const out = {
    engine: result.engine,
    msPerStep: Number(msPerStep.toPrecision(4)),
    n,
    dim,
    width,
    steps,
    ...model,
    blas: blasProvenance(),
  };
  const family =
    model.depth === 2 && model.bias === 0 && model.activation === 'relu'
      ? ''
      : `, L=${model.depth}, beta=${model.bias}, ${model.activation}`;
  if (values.json) printJson(out);
  else
    say(
      `${result.engine} (${result.backend}): ${out.msPerStep} ms per GD step at n=${n}, D=${dim}, m=${width}${family} over ${steps} steps; ${blasLine(out.blas)}`,
    );
  return 0;
}

/** Seconds for the eigenvalues and eigenvectors of the NTK Gram matrix of n points on S^9. */
async function benchEigen(values: CommandArgs['values']): Promise<number> {
  const n = intFlag(values, 'n', 2000, 1, 100_000);
  const requested = oneOf(values, 'method', METHODS, 'auto');
  const method = requested === 'auto' ? eigenMethod() : requested;
  const dim = 10;
  const x = sampleSphere(new Prng(0, 'bench/x'), n, dim);
  const k = ntkGram(x, n, dim);
  const started = performance.now();
  await symmetricEigenInWorker(k, n, { vectors: true, method });
  const seconds = (performance.now() - started) / 1000;
  const out = { method, seconds: Number(seconds.toPrecision(4)), n, blas: blasProvenance() };
  if (values.json) printJson(out);
  else say(`${method}: ${out.seconds} s for the eigenvalues and eigenvectors of an n=${n} Gram matrix; ${blasLine(out.blas)}`);
  return 0;
}

function blasLine(blas: BlasProvenance | null): string {
  if (!blas) return 'no BLAS/LAPACK loaded';
  const details = [blas.corename, blas.threads === null ? null : `${blas.threads} thread${blas.threads === 1 ? '' : 's'}`].filter(Boolean);
  return `BLAS/LAPACK ${blas.name}${details.length ? ` (${details.join(', ')})` : ''} from ${blas.library}`;
}
