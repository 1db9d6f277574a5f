import { empiricalNtkDeep, type DeepWeights } from '../../src/model/reference-deep.js';

/**
 * The per-point backpropagation reference (`empiricalNtkDeep`) on x stacked over xOther, split
 * into its [0, n) x [0, n) block (the Gram) and its [n, n + nOther) x [0, n) block (the cross block).
 */
export function referenceBlocks(
  w: DeepWeights,
  x: Float64Array,
  n: number,
  xOther: Float64Array,
  nOther: number,
  dim: number,
): { gram: Float64Array; cross: Float64Array } {
  const all = new Float64Array((n + nOther) * dim);
  all.set(x.subarray(0, n * dim));
  all.set(xOther.subarray(0, nOther * dim), n * dim);
  const reference = empiricalNtkDeep(w, all, n + nOther);
  const gram = new Float64Array(n * n);
  const cross = new Float64Array(nOther * n);
  for (let i = 0; i < n + nOther; i++)
    for (let j = 0; j < n; j++) (i < n ? gram : cross)[(i < n ? i : i - n) * n + j] = reference[i * (n + nOther) + j]!;
  return { gram, cross };
}
