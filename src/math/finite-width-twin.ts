/**
 * The finite-width twin of training: GD's linearization on the network's own empirical NTK at its
 * initial weights, Θ̂₀, instead of the infinite-width kernel kappa (`kernel-regime.ts`):
 *   r_{t+1} = (I - eta' Θ̂₀/n) r_t,   so in the eigenbasis of Θ̂₀/n = V diag(lambda) Vᵀ
 *   c_t = (1 - eta' lambda)^t c_0,   c = Vᵀ r,
 * and on test points r_t^test = r_0^test - Θ̂₀(test, train) V diag(g_t(lambda)) Vᵀ r_0 / n.
 *
 * Θ̂₀ is (1/m) J Jᵀ over both layers with J the Jacobian of f = sqrt(m) W2 relu(W1 x)
 * (`empirical-ntk.ts`); for a member of the model family (depth L, bias, activation) it is the
 * layers' gradient products in the paper weighting, output layer 1, earlier layers 1/2
 * (`empirical-ntk-deep.ts`), the weighting under which GD's steps make it the residual's kernel. With y_hat = theta f and the weight step eta = eta' / (m theta^2), GD's
 * first-order update of the residual is exactly -eta' Θ̂₀ r / n whatever theta is, so this twin
 * is the network's own dynamics to first order in the weight change: what is left between the
 * two is the kernel's motion during training. The infinite-width twin differs from it further by
 * Θ̂₀ - K, which is O(m^-1/2) (`ntk_check`).
 *
 *   const twin = await finiteWidthTwin({ w1, w2, width, dim, xTrain, n, xTest, nTest });
 *   const train = kernelResiduals(twin.values, twin.vectors, n, r0, lr, steps);
 *   const test = kernelTestResiduals(twin.testTrain!, nTest, twin.values, twin.vectors, n, r0, r0Test, lr, steps);
 */
import type { DeepWeights } from '../model/reference-deep.js';
import { symmetricEigenInWorker } from './eigen.js';
import { empiricalNtkDeepGramAndCross } from './empirical-ntk-deep.js';
import { empiricalNtkGramAndCross } from './empirical-ntk.js';

interface TwinPoints {
  xTrain: Float64Array;
  n: number;
  xTest: Float64Array;
  nTest: number;
  /** Native threads (0: all hardware threads). */
  threads?: number;
}

/** The paper network's initial weights: W1 m x dim row-major, W2 m entries (exactly those training starts from). */
export interface PaperTwinInput extends TwinPoints {
  w1: Float64Array;
  w2: Float64Array;
  width: number;
  dim: number;
}

/**
 * A model-family network's initial weights (`initDeepWeights`, the streams training starts
 * from); Θ̂₀ in the paper weighting by products over layers (`empirical-ntk-deep.ts`).
 */
export interface DeepTwinInput extends TwinPoints {
  deep: DeepWeights;
}

export type FiniteWidthTwinInput = PaperTwinInput | DeepTwinInput;

export interface FiniteWidthTwin {
  /** Θ̂₀ on the training sample, n x n (not divided by n). */
  gram: Float64Array;
  /** Eigenvalues of Θ̂₀/n, descending, and the row-major eigenvectors (column j for values[j]). */
  values: Float64Array;
  vectors: Float64Array;
  /** Θ̂₀(test, train), nTest x n; null without test points. */
  testTrain: Float64Array | null;
}

/** Θ̂₀ on the sample and its eigendecomposition (off the event loop), ready for `kernelResiduals`. */
export async function finiteWidthTwin(input: FiniteWidthTwinInput): Promise<FiniteWidthTwin> {
  const { xTrain, n, xTest, nTest, threads = 0 } = input;
  // Both blocks at once: the training points' features serve the train and the test-train block.
  const { gram, cross: testTrain } =
    'deep' in input
      ? empiricalNtkDeepGramAndCross(input.deep, xTrain, n, xTest, nTest)
      : await empiricalNtkGramAndCross(input.w1, input.w2, input.width, input.dim, xTrain, n, xTest, nTest, threads);
  // A plain loop: TypedArray.prototype.map takes ~8x longer on a million entries.
  const scaled = new Float64Array(gram.length);
  for (let i = 0; i < gram.length; i++) scaled[i] = gram[i]! / n;
  const { values, vectors } = await symmetricEigenInWorker(scaled, n, { vectors: true });
  return { gram, values, vectors: vectors!, testTrain };
}
