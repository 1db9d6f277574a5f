/**
 * Per-degree projections of a residual (Cao et al., arXiv 1912.01198, Figs. 1-2).
 *
 * `target`: |v̂_kᵀ r| where v_k = (P_k(<zeta_k, x_i>))_i and v̂_k = v_k / ||v_k||.
 *
 *   const v = unitVector(parts);             // once per degree and split
 *   const value = targetProjection(r, v);    // at every logged step
 */

/** v / ||v||; a zero vector stays zero (nothing to project on). */
export function unitVector(v: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const norm = Math.sqrt(s);
  const out = new Float64Array(v.length);
  if (norm === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** |v̂ᵀ r| for a unit vector v̂ and residual r (r may be a view into a longer array). */
export function targetProjection(residual: Float64Array, unit: Float64Array): number {
  if (residual.length !== unit.length) throw new Error(`projection: residual has ${residual.length} entries, direction ${unit.length}`);
  let s = 0;
  for (let i = 0; i < unit.length; i++) s += unit[i]! * residual[i]!;
  return Math.abs(s);
}
