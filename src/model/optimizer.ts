/**
 * The optimizers that train the network (`training.optimizer`), their settings and the mini-batch
 * schedule that SGD and Adam draw.
 *
 * - 'gd': full-batch gradient descent, weight step eta = eta' / (m theta^2) (the default).
 * - 'sgd': the same step eta on the mean-loss gradient of a mini-batch of B = `batchSize` points,
 *   so its expected update is GD's and the kernel twin (GD at eta') is its expected dynamics;
 *   `momentum` mu > 0 makes it heavy ball: u <- mu u + eta (-grad), W <- W + u.
 * - 'adam': Adam (Kingma and Ba 2015) on the mini-batch mean-loss gradient with step
 *   lr = eta' / (m theta) ({@link adamStepSize}); no kernel twin is defined for it.
 *
 * Batches: epoch e is a permutation of the n training points from the stream
 * `train/batches` (STREAMS.trainBatches) forked by e, cut into floor(n / B) batches of B points
 * (the last n mod B points of the permutation sit that epoch out). Global step s uses batch
 * s mod floor(n / B) of epoch floor(s / floor(n / B)), so the schedule is a function of
 * (seed, s): a checkpoint's step is the whole sampler state.
 */
import { Prng, STREAMS } from '../math/prng.js';

export type OptimizerName = 'gd' | 'sgd' | 'adam';

export interface OptimizerSettings {
  optimizer: OptimizerName;
  /** Mini-batch size B (sgd, adam); default n. */
  batchSize?: number;
  /** Heavy-ball momentum in [0, 1) (sgd); default 0. */
  momentum?: number;
  /** Adam's moment decays and epsilon; defaults 0.9, 0.999, 1e-8. */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/**
 * Adam's learning rate for an NTK-scaled eta': lr = eta' / (m theta). In the NTK parametrization
 * the derivative of y_hat with respect to any one weight is O(theta), so a GD step moves each
 * weight by about eta' |r| / (m theta) (eta = eta' / (m theta^2) times c/n sums of O(theta) terms).
 * Adam's normalized step moves each weight by about lr, so lr = eta' / (m theta) makes Adam's
 * per-weight step that of GD on an O(1) residual: the same eta' trains at a comparable pace.
 */
export function adamStepSize(learningRate: number, width: number, theta: number): number {
  return learningRate / (width * Math.abs(theta));
}

/** Batches per epoch: floor(n / B). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.floor(n / batchSize);
}

/** The permutation of 0..n-1 for epoch e: Fisher-Yates on the stream `train/batches#e`. */
export function epochPermutation(seed: number, n: number, epoch: number): Int32Array {
  const prng = new Prng(seed, `${STREAMS.trainBatches}#${epoch}`);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(prng.uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** The batches of global steps [first, first + count), count x B indices (each batch in permutation order). */
export function batchIndices(seed: number, n: number, batchSize: number, first: number, count: number): Int32Array {
  const per = batchesPerEpoch(n, batchSize);
  const out = new Int32Array(count * batchSize);
  let epoch = -1;
  let perm: Int32Array = new Int32Array(0);
  for (let s = 0; s < count; s++) {
    const g = first + s;
    const e = Math.floor(g / per);
    if (e !== epoch) {
      epoch = e;
      perm = epochPermutation(seed, n, e);
    }
    const k = g % per;
    out.set(perm.subarray(k * batchSize, (k + 1) * batchSize), s * batchSize);
  }
  return out;
}
