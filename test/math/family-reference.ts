/**
 * An independent evaluation of the model family's kernel, used only by the tests: the recursion
 * of docs/science.md ("The model family") written out plainly in t, with Math.acos / Math.asin on
 * the correlations and no series arithmetic, no angle variable and nothing from
 * src/math/ntk-family.ts. For tanh and GELU the expectations are 2-D Gauss–Hermite sums (the
 * library uses the trapezoid rule), so the two agree only if both are right.
 */
import { erf } from '../../src/math/erf.js';
import { gaussHermite } from '../../src/math/quadrature.js';

export type ReferenceActivation = 'relu' | 'erf' | 'tanh' | 'gelu';

/** c_sigma, E[s(u) s(v)] and E[s'(u) s'(v)] for Var u = Var v = a, Cov(u, v) = c. */
function expectations(activation: ReferenceActivation, a: number, c: number): { cs: number; ss: number; dd: number; aa: number } {
  if (activation === 'relu') {
    const rho = Math.max(-1, Math.min(1, c / a));
    const phi = Math.acos(rho);
    // Cho & Saul's arc-cosine kernels of degree 1 and 0, scaled to variance a.
    return {
      cs: 2,
      ss: (a * (Math.sin(phi) + (Math.PI - phi) * Math.cos(phi))) / (2 * Math.PI),
      dd: (Math.PI - phi) / (2 * Math.PI),
      aa: a / 2,
    };
  }
  if (activation === 'erf') {
    // Williams (1997): E[erf(u) erf(v)] = (2/pi) asin(2c / sqrt((1+2a)(1+2a))).
    const ss = (2 / Math.PI) * Math.asin((2 * c) / (1 + 2 * a));
    const dd = 4 / (Math.PI * Math.sqrt((1 + 2 * a) * (1 + 2 * a) - 4 * c * c));
    return { cs: 1, ss, dd, aa: (2 / Math.PI) * Math.asin((2 * a) / (1 + 2 * a)) };
  }
  const f = activation === 'tanh' ? Math.tanh : (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  const df =
    activation === 'tanh'
      ? (x: number) => 1 / Math.cosh(x) ** 2
      : (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  // u = sqrt(a) z1, v = sqrt(a) (rho z1 + sqrt(1 - rho^2) z2): the Cholesky form, not the library's.
  const { nodes, weights } = gaussHermite(180);
  const rho = Math.max(-1, Math.min(1, c / a));
  const s = Math.sqrt(a);
  const r = Math.sqrt(Math.max(0, 1 - rho * rho));
  let ss = 0;
  let dd = 0;
  let aa = 0;
  for (let i = 0; i < nodes.length; i++) {
    const u = s * nodes[i]!;
    const fu = f(u);
    const du = df(u);
    aa += weights[i]! * fu * fu;
    for (let j = 0; j < nodes.length; j++) {
      const v = s * (rho * nodes[i]! + r * nodes[j]!);
      const w = weights[i]! * weights[j]!;
      ss += w * fu * f(v);
      dd += w * du * df(v);
    }
  }
  return { cs: activation === 'tanh' ? 1 : 2, ss, dd, aa };
}

/** kappa(t) = Sigma^(L-1) + (1/2) sum_h Sigma^(h-1) prod_{h' >= h} dSigma^(h'), term by term. */
export function kernelReference(depth: number, bias: number, activation: ReferenceActivation, t: number): number {
  const b2 = bias * bias;
  const sigma: number[] = [t + b2];
  const diag: number[] = [1 + b2];
  const dot: number[] = [NaN];
  for (let h = 1; h < depth; h++) {
    const e = expectations(activation, diag[h - 1]!, sigma[h - 1]!);
    sigma.push(e.cs * e.ss + b2);
    dot.push(e.cs * e.dd);
    diag.push(e.cs * e.aa + b2);
  }
  let kappa = sigma[depth - 1]!;
  for (let h = 1; h < depth; h++) {
    let term = 0.5 * sigma[h - 1]!;
    for (let g = h; g < depth; g++) term *= dot[g]!;
    kappa += term;
  }
  return kappa;
}
