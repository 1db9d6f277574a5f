/**
 * The model family's network (depth L, bias scale beta, activation) in plain float64 JavaScript:
 * seeded initialization, forward pass, gradients and one full-batch GD step. It is the reference
 * the engines are validated against (docs/science.md, "The model family"), and `initDeepWeights`
 * is the family's initialization on every engine.
 *
 * The network, for x on S^(D-1), all entries of A_h, b_h i.i.d. N(0, 1) at initialization:
 *   g_1 = A_1 x + beta b_1                                  (A_1: m x D)
 *   g_h = sqrt(c/m) A_h s(g_(h-1)) + beta b_h,  h = 2..L-1  (A_h: m x m)
 *   f   = sqrt(c/m) A_L s(g_(L-1)) + beta b_L,  y_hat = theta f   (A_L: 1 x m)
 * with c = C_SIGMA[activation]. Loss 1/(2n) sum_i (y_i - y_hat_i)^2; GD takes the step
 * eta'/theta^2 on A_L, b_L and eta'/(2 theta^2) on every earlier layer. For ReLU and beta = 0 this
 * is the paper's network with W_h = sqrt(2/m) A_h, W_L = A_L / sqrt(m) (`network.ts`), and the
 * streams 'init/W1', 'init/W2' give it the same initial weights.
 *
 *   const w = initDeepWeights(0, { depth: 3, bias: 0.5, activation: 'relu' }, 64, 10);
 *   const yHat = forwardDeep(w, 1, x, n);
 *   const next = gdStepDeep(w, 1, 1.0, x, y, n);
 */
import { erf } from '../math/erf.js';
import { C_SIGMA, isPaperModel, modelFamilyProblem, type Activation, type ModelFamily } from '../math/ntk-family.js';
import { Prng } from '../math/prng.js';

export interface DeepWeights {
  model: ModelFamily;
  width: number;
  dim: number;
  /** a[h] is A_(h+1), row-major: m x D for h = 0, m x m for the hidden layers, 1 x m for the output. */
  a: Float64Array[];
  /** b[h] is b_(h+1): m entries, 1 for the output layer. */
  b: Float64Array[];
}

/** Streams 'init/W<h>' and 'init/b<h>' (h = 1..L), standard normal entries. */
export function initDeepWeights(seed: number, model: ModelFamily, width: number, dim: number): DeepWeights {
  const problem = modelFamilyProblem(model);
  if (problem) throw new RangeError(`model ${problem.field} ${problem.detail}`);
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  const a: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let h = 0; h < model.depth; h++) {
    const rows = h === model.depth - 1 ? 1 : width;
    const cols = h === 0 ? dim : width;
    a.push(new Prng(seed, `init/W${h + 1}`).normals(rows * cols));
    b.push(new Prng(seed, `init/b${h + 1}`).normals(rows));
  }
  return { model, width, dim, a, b };
}

/** True for the family's weights (`DeepWeights`), false for the paper network's (`NetworkWeights`). */
export function isDeepWeights(w: object): w is DeepWeights {
  return 'a' in w && 'b' in w && 'model' in w;
}

/**
 * Why `initial` weights cannot start a network of `model`, in one line, or null when they can:
 * the paper network's weights for a family member or the reverse, or another family member's.
 */
export function initialWeightsProblem(initial: object, model: ModelFamily): string | null {
  const deep = isDeepWeights(initial);
  if (isPaperModel(model)) return deep ? "initial weights are a deep network's, but model is the paper's" : null;
  if (!deep) return "initial weights are the paper network's, but model is another member of the family";
  const w = initial.model;
  const same = w.depth === model.depth && w.bias === model.bias && w.activation === model.activation;
  return same ? null : `initial weights are of model ${JSON.stringify(w)}, expected ${JSON.stringify(model)}`;
}

/**
 * The weights as one float64 vector, layer by layer: A_1, b_1, A_2, b_2, ..., A_L, b_L (each A
 * row-major). The native engine and the checkpoints use this layout.
 */
export function flattenDeepWeights(w: DeepWeights): Float64Array {
  const out = new Float64Array(deepParamCount(w.model.depth, w.width, w.dim));
  let o = 0;
  for (let h = 0; h < w.model.depth; h++) {
    out.set(w.a[h]!, o);
    o += w.a[h]!.length;
    out.set(w.b[h]!, o);
    o += w.b[h]!.length;
  }
  return out;
}

/** The inverse of {@link flattenDeepWeights} (copies). */
export function unflattenDeepWeights(model: ModelFamily, width: number, dim: number, flat: Float64Array): DeepWeights {
  const want = deepParamCount(model.depth, width, dim);
  if (flat.length !== want) throw new RangeError(`the model's weights are ${want} numbers, got ${flat.length}`);
  const a: Float64Array[] = [];
  const b: Float64Array[] = [];
  let o = 0;
  for (let h = 0; h < model.depth; h++) {
    const rows = h === model.depth - 1 ? 1 : width;
    const cols = h === 0 ? dim : width;
    a.push(flat.slice(o, o + rows * cols));
    o += rows * cols;
    b.push(flat.slice(o, o + rows));
    o += rows;
  }
  return { model, width, dim, a, b };
}

/** Number of weights and biases: m (D + 1) + (L - 2) m (m + 1) + m + 1. */
export function deepParamCount(depth: number, width: number, dim: number): number {
  return width * (dim + 1) + (depth - 2) * width * (width + 1) + width + 1;
}

/** The activation and its derivative (shared with the product form of the NTK, src/math/empirical-ntk-deep.ts). */
export function activationPair(activation: Activation): { f: (x: number) => number; df: (x: number) => number } {
  switch (activation) {
    case 'relu':
      return { f: (x) => (x > 0 ? x : 0), df: (x) => (x > 0 ? 1 : 0) };
    case 'erf':
      return { f: erf, df: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) };
    case 'tanh':
      return { f: Math.tanh, df: (x) => 1 / Math.cosh(x) ** 2 };
    case 'gelu':
      return {
        f: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
        df: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
      };
  }
}

/** Pre-activations g_1 .. g_(L-1) of one input and the output f (before theta). */
function forwardOne(w: DeepWeights, x: Float64Array, xo: number): { g: Float64Array[]; out: number } {
  const { model, width: m, dim: d, a, b } = w;
  const { f } = activationPair(model.activation);
  const scale = Math.sqrt(C_SIGMA[model.activation] / m);
  const g: Float64Array[] = [];
  const g1 = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += a[0]![j * d + k]! * x[xo + k]!;
    g1[j] = s + model.bias * b[0]![j]!;
  }
  g.push(g1);
  let act = g1.map(f);
  for (let h = 1; h < model.depth - 1; h++) {
    const gh = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += a[h]![j * m + k]! * act[k]!;
      gh[j] = scale * s + model.bias * b[h]![j]!;
    }
    g.push(gh);
    act = gh.map(f);
  }
  const last = model.depth - 1;
  let s = 0;
  for (let k = 0; k < m; k++) s += a[last]![k]! * act[k]!;
  return { g, out: scale * s + model.bias * b[last]![0]! };
}

/** y_hat_i = theta f(x_i) for the n rows of x (n x D row-major). */
export function forwardDeep(w: DeepWeights, theta: number, x: Float64Array, n: number): Float64Array {
  checkPoints(w, x, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = theta * forwardOne(w, x, i * w.dim).out;
  return out;
}

/**
 * Gradients of sum_i e_i f(x_i) with respect to every A_h, b_h, by backpropagation; with
 * e_i = -theta r_i / n they are the gradients of the loss.
 */
function backward(
  w: DeepWeights,
  x: Float64Array,
  n: number,
  e: (i: number, out: number) => number,
): { a: Float64Array[]; b: Float64Array[] } {
  const { model, width: m, dim: d, a } = w;
  const { f, df } = activationPair(model.activation);
  const scale = Math.sqrt(C_SIGMA[model.activation] / m);
  const L = model.depth;
  const ga = a.map((v) => new Float64Array(v.length));
  const gb = w.b.map((v) => new Float64Array(v.length));
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const { g, out } = forwardOne(w, x, xo);
    const ei = e(i, out);
    // Output layer: f = scale A_L s(g_(L-1)) + beta b_L.
    const actLast = g[L - 2]!.map(f);
    for (let k = 0; k < m; k++) ga[L - 1]![k]! += ei * scale * actLast[k]!;
    gb[L - 1]![0]! += ei * model.bias;
    // delta = d(e_i f) / d g_(L-1).
    let delta = new Float64Array(m);
    for (let k = 0; k < m; k++) delta[k] = ei * scale * a[L - 1]![k]! * df(g[L - 2]![k]!);
    for (let h = L - 2; h >= 1; h--) {
      // Layer h+1 (index h): g_(h+1) = scale A s(g_h) + beta b.
      const act = g[h - 1]!.map(f);
      for (let j = 0; j < m; j++) {
        const dj = delta[j]!;
        gb[h]![j]! += dj * model.bias;
        if (dj === 0) continue;
        const row = j * m;
        for (let k = 0; k < m; k++) ga[h]![row + k]! += dj * scale * act[k]!;
      }
      const next = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        const dj = delta[j]!;
        if (dj === 0) continue;
        const row = j * m;
        for (let k = 0; k < m; k++) next[k]! += dj * scale * a[h]![row + k]!;
      }
      for (let k = 0; k < m; k++) next[k]! *= df(g[h - 1]![k]!);
      delta = next;
    }
    for (let j = 0; j < m; j++) {
      gb[0]![j]! += delta[j]! * model.bias;
      for (let k = 0; k < d; k++) ga[0]![j * d + k]! += delta[j]! * x[xo + k]!;
    }
  }
  return { a: ga, b: gb };
}

/** The loss 1/(2n) sum (y - y_hat)^2 and its gradients with respect to every A_h and b_h. */
export function gradientsDeep(
  w: DeepWeights,
  theta: number,
  x: Float64Array,
  y: Float64Array,
  n: number,
): { loss: number; a: Float64Array[]; b: Float64Array[] } {
  checkPoints(w, x, n);
  if (y.length !== n) throw new RangeError(`y must have n = ${n} entries, got ${y.length}`);
  let loss = 0;
  const grads = backward(w, x, n, (i, out) => {
    const r = y[i]! - theta * out;
    loss += (r * r) / (2 * n);
    return (-theta * r) / n;
  });
  return { loss, ...grads };
}

/** The step on layer h (0-based) for an NTK-scaled rate eta': eta'/theta^2 on the output, half before. */
export function deepLayerStep(learningRate: number, theta: number, layer: number, depth: number): number {
  return (layer === depth - 1 ? 1 : 0.5) * (learningRate / (theta * theta));
}

/** One full-batch GD step; returns new weights (the input is untouched). */
export function gdStepDeep(w: DeepWeights, theta: number, learningRate: number, x: Float64Array, y: Float64Array, n: number): DeepWeights {
  const g = gradientsDeep(w, theta, x, y, n);
  const L = w.model.depth;
  const a = w.a.map((v, h) => v.map((val, k) => val - deepLayerStep(learningRate, theta, h, L) * g.a[h]![k]!));
  const b = w.b.map((v, h) => v.map((val, k) => val - deepLayerStep(learningRate, theta, h, L) * g.b[h]![k]!));
  return { ...w, a, b };
}

/**
 * The empirical NTK in the paper's weighting, sum_h s_h <df(x_i)/d theta_h, df(x_j)/d theta_h>
 * with s_L = 1 and s_h = 1/2 before (n x n, row-major); it tends to the family's kappa as m grows.
 */
export function empiricalNtkDeep(w: DeepWeights, x: Float64Array, n: number): Float64Array {
  checkPoints(w, x, n);
  const L = w.model.depth;
  const per: Array<{ a: Float64Array[]; b: Float64Array[] }> = [];
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * w.dim, (i + 1) * w.dim);
    per.push(backward(w, xi, 1, () => 1));
  }
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let h = 0; h < L; h++) {
        let dot = 0;
        const ai = per[i]!.a[h]!;
        const aj = per[j]!.a[h]!;
        for (let q = 0; q < ai.length; q++) dot += ai[q]! * aj[q]!;
        const bi = per[i]!.b[h]!;
        const bj = per[j]!.b[h]!;
        for (let q = 0; q < bi.length; q++) dot += bi[q]! * bj[q]!;
        s += (h === L - 1 ? 1 : 0.5) * dot;
      }
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  return k;
}

function checkPoints(w: DeepWeights, x: Float64Array, n: number): void {
  if (x.length !== n * w.dim) throw new RangeError(`x must be n x dim = ${n} x ${w.dim}, got ${x.length} entries`);
}
