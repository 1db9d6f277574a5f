/**
 * How fast a spectrum decays: least-squares lines through ln mu_k against ln k (a power law
 * mu_k ~ k^-p is straight there) and against k (an exponential mu_k ~ e^(-a k) is), with the R^2
 * of each. The better R^2 names the shape; ReLU kernels give a power law, smooth activations
 * (erf, tanh) an exponential (docs/reproduction.md, "Beyond the paper: the model family").
 *
 *   spectrumDecay([{ degree: 1, mu: 1 }, { degree: 2, mu: 2 ** -3 }, { degree: 4, mu: 4 ** -3 }]);
 *   // { power: { exponent: 3, r2: 1 }, exponential: { rate: ..., r2: < 1 }, degrees: [1, 2, 4] }
 *
 * Degrees flagged `numericalZero` (familySpectrum's rounding noise, of either sign) and degrees with
 * mu_k <= 0 or not finite are left out: they have no meaningful logarithm.
 */

export interface DecayFit {
  /** p of mu_k ~ k^-p (power) or a of mu_k ~ e^(-a k) (exponential): minus the fitted slope. */
  slope: number;
  r2: number;
}

export interface SpectrumDecay {
  power: DecayFit;
  exponential: DecayFit;
  /** The degrees fitted, in the order given. */
  degrees: number[];
}

/** Fits both shapes to the points with degree in [from, to] and mu > 0; NaN fits with fewer than 3 such points. */
export function spectrumDecay(
  spectrum: readonly { degree: number; mu: number; numericalZero?: boolean }[],
  { from = 1, to = Infinity }: { from?: number; to?: number } = {},
): SpectrumDecay {
  const pts = spectrum.filter(
    (s) => s.degree >= Math.max(from, 1) && s.degree <= to && !s.numericalZero && Number.isFinite(s.mu) && s.mu > 0,
  );
  const y = pts.map((s) => Math.log(s.mu));
  return {
    power: line(
      pts.map((s) => Math.log(s.degree)),
      y,
    ),
    exponential: line(
      pts.map((s) => s.degree),
      y,
    ),
    degrees: pts.map((s) => s.degree),
  };
}

/** Minus the least-squares slope of y on x, and R^2. */
function line(x: number[], y: number[]): DecayFit {
  const n = x.length;
  if (n < 3) return { slope: NaN, r2: NaN };
  const mx = x.reduce((a, v) => a + v, 0) / n;
  const my = y.reduce((a, v) => a + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
    syy += (y[i]! - my) ** 2;
  }
  const b = sxy / sxx;
  return { slope: -b, r2: syy > 0 ? (b * sxy) / syy : 1 };
}
