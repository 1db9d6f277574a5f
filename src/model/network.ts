/**
 * The paper's two-layer ReLU network in plain float64 JavaScript: seeded initialization, the
 * forward pass and one full-batch gradient-descent step. The tfjs engine ({@link trainNetwork} in
 * `engine.ts`) trains the same network in float32; this file is its independent reference.
 *
 * Conventions (those of Cao et al., below):
 * - f_W(x) = sqrt(m) W2 relu(W1 x), no bias, x on S^(D-1); W1 is m x D with entries N(0, 2/m),
 *   W2 is 1 x m with entries N(0, 1/m); the prediction is y_hat = theta f_W(x).
 * - Loss L = 1/(2n) sum_i (y_i - y_hat_i)^2; both layers take the step W <- W - eta grad_W L with
 *   eta = eta' / (m theta^2), eta' being the NTK-scaled `learningRate`. The linearized residual
 *   along an eigendirection of K/n (K_ij = kappa(<x_i, x_j>)) with eigenvalue mu then shrinks by
 *   (1 - eta' mu) per step.
 *
 *   const w = initWeights(0, 256, 10);                      // streams 'init/W1', 'init/W2'
 *   const yHat = forwardReference(w, 1, x, n);              // n predictions
 *   const w1 = gdStepReference(w, 1, 1.0, x, y, n);         // one GD step, new weights
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import { Prng, STREAMS } from '../math/prng.js';

/** Weights of the two-layer network: `w1` is m x D row-major (row j is neuron j), `w2` has m entries. */
export interface NetworkWeights {
  width: number;
  dim: number;
  /** W1, m x D row-major. */
  w1: Float64Array;
  /** W2, the m output weights. */
  w2: Float64Array;
}

/** The initialization laws a spec may ask for (`model.init`). */
export type WeightInit = 'gaussian' | 'symmetric';

/**
 * The initial weights, the one entry point every engine and step uses. 'gaussian' (the default,
 * the paper's law): W1 ~ N(0, 2/m) (stream 'init/W1') and W2 ~ N(0, 1/m) (stream 'init/W2'),
 * drawn from the seed; with this scale <grad f(x), grad f(x')> / m -> kappa(<x, x'>) as m grows.
 * 'symmetric': see {@link initWeightsSymmetric}.
 */
export function initWeights(seed: number, width: number, dim: number, init: WeightInit = 'gaussian'): NetworkWeights {
  if (init === 'symmetric') return initWeightsSymmetric(seed, width, dim);
  checkShape(width, dim);
  const w1 = new Prng(seed, STREAMS.initW1).normals(width * dim, Math.sqrt(2 / width));
  const w2 = new Prng(seed, STREAMS.initW2).normals(width, Math.sqrt(1 / width));
  return { width, dim, w1, w2 };
}

/**
 * The symmetric ("doubling") initialization: neurons come in pairs with the same W1 row and
 * opposite W2 entries, so f_0(x) = 0 for every x while each weight keeps the paper's law
 * (W1 ~ N(0, 2/m), W2 ~ N(0, 1/m)) and the NTK at initialization has the same expectation.
 * The residual then starts at y itself: no random initial function hides the slow degrees,
 * without shrinking theta (which would move the network out of the kernel regime).
 * Neuron j < m/2 is paired with neuron j + m/2; m must be even.
 */
function initWeightsSymmetric(seed: number, width: number, dim: number): NetworkWeights {
  checkShape(width, dim);
  if (width % 2 !== 0) throw new RangeError(`symmetric initialization needs an even width, got ${width}`);
  const half = width / 2;
  const w1h = new Prng(seed, STREAMS.initW1).normals(half * dim, Math.sqrt(2 / width));
  const w2h = new Prng(seed, STREAMS.initW2).normals(half, Math.sqrt(1 / width));
  const w1 = new Float64Array(width * dim);
  w1.set(w1h, 0);
  w1.set(w1h, half * dim);
  const w2 = new Float64Array(width);
  for (let j = 0; j < half; j++) {
    w2[j] = w2h[j]!;
    w2[j + half] = -w2h[j]!;
  }
  return { width, dim, w1, w2 };
}

/**
 * The GD step on the weights for an NTK-scaled rate: eta = eta' / (m theta^2).
 * The factor m theta^2 is the scale of the empirical NTK, so eta' acts on the eigenvalues of K/n.
 */
export function weightStepSize(learningRate: number, width: number, theta: number): number {
  return learningRate / (width * theta * theta);
}

/**
 * Predictions y_hat_i = theta sqrt(m) sum_j W2_j relu(<W1_j, x_i>) for the n rows of `x`
 * (n x D row-major), in float64. {@link gdStepReference} uses the same pass.
 */
export function forwardReference(w: NetworkWeights, theta: number, x: Float64Array, n: number): Float64Array {
  checkPoints(w, x, n, 'x');
  const { width: m, dim: d, w1, w2 } = w;
  const c = theta * Math.sqrt(m);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    let s = 0;
    for (let j = 0; j < m; j++) {
      const wo = j * d;
      let h = 0;
      for (let k = 0; k < d; k++) h += w1[wo + k]! * x[xo + k]!;
      if (h > 0) s += w2[j]! * h;
    }
    out[i] = c * s;
  }
  return out;
}

/**
 * One full-batch GD step on both layers, in float64; returns new weights (the input is untouched).
 *
 * Conventions: L = 1/(2n) sum_i r_i^2 with r = y - y_hat, weight step eta = eta' / (m theta^2).
 * With h_ij = <W1_j, x_i> and c = theta sqrt(m):
 *   dL/dW2_j  = -(c/n) sum_i r_i relu(h_ij)
 *   dL/dW1_jk = -(c/n) sum_i r_i W2_j 1(h_ij > 0) x_ik
 * This is the independent reference that the tfjs engine's trajectory is tested against.
 */
export function gdStepReference(
  w: NetworkWeights,
  theta: number,
  learningRate: number,
  x: Float64Array,
  y: Float64Array,
  n: number,
): NetworkWeights {
  checkPoints(w, x, n, 'x');
  if (y.length !== n) throw new RangeError(`y must have n = ${n} entries, got ${y.length}`);
  const { width: m, dim: d, w1, w2 } = w;
  const c = theta * Math.sqrt(m);
  const r = forwardReference(w, theta, x, n);
  for (let i = 0; i < n; i++) r[i] = y[i]! - r[i]!;
  // W <- W - eta dL/dW = W + eta (c/n) sum_i r_i (...), folded into one factor.
  const scale = (weightStepSize(learningRate, m, theta) * c) / n;
  const nextW1 = Float64Array.from(w1);
  const nextW2 = Float64Array.from(w2);
  for (let j = 0; j < m; j++) {
    const wo = j * d;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let h = 0;
      for (let k = 0; k < d; k++) h += w1[wo + k]! * x[xo + k]!;
      if (h > 0) {
        g2 += r[i]! * h;
        const a = scale * r[i]! * w2[j]!;
        for (let k = 0; k < d; k++) nextW1[wo + k]! += a * x[xo + k]!;
      }
    }
    nextW2[j]! += scale * g2;
  }
  return { width: m, dim: d, w1: nextW1, w2: nextW2 };
}

function checkShape(width: number, dim: number): void {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
}

function checkPoints(w: NetworkWeights, x: Float64Array, n: number, name: string): void {
  checkShape(w.width, w.dim);
  if (w.w1.length !== w.width * w.dim) throw new RangeError(`w1 must have width * dim = ${w.width * w.dim} entries, got ${w.w1.length}`);
  if (w.w2.length !== w.width) throw new RangeError(`w2 must have width = ${w.width} entries, got ${w.w2.length}`);
  if (x.length !== n * w.dim) throw new RangeError(`${name} must be n x dim = ${n} x ${w.dim}, got ${x.length} entries`);
}
