/**
 * The spectrum as the results database holds it: the artifact's mu_k per degree plus the run's
 * `theory_rate` column. The artifact carries no learning rate (a learning-rate sweep shares it),
 * so the column is added at ingestion, by analysis and by a rebuild from the manifests alike.
 */
import type * as arrow from 'apache-arrow';
import { theoryRate } from '../math/ntk.js';
import { readFloat64, readInt32, tableFromColumns } from './arrow-columns.js';

/**
 * The theory rate of a degree, -ln(1 - eta' mu_k), or NaN where it is undefined: mu_k <= 0, mu_k
 * a numerical zero (the spectrum's `numerical_zero`: a zero by symmetry, such as the paper's odd
 * k >= 3, or below what the quadrature resolves; the computed value is rounding noise of either
 * sign) or eta' mu_k >= 1. The definition: `sql/rates.sql` repeats it in SQL (NULL for NaN), and
 * the learning-rate sweep test in test/integration/pipeline.test.ts checks the two agree on every
 * degree of real runs, a numerically zero mu_3 included.
 */
export function degreeTheoryRate(mu: number, learningRate: number, numericalZero = false): number {
  return mu > 0 && !numericalZero ? theoryRate(mu, learningRate) : Number.NaN;
}

/** The spectrum artifact (degree, mu, multiplicity, numerical_zero) with the run's `theory_rate` column added, for ingestion. */
export function withTheoryRates(spectrum: arrow.Table, learningRate: number): arrow.Table {
  const degree = readInt32(spectrum, 'degree');
  const mu = readFloat64(spectrum, 'mu');
  const zero = spectrum.getChild('numerical_zero')!;
  const numericalZero = Array.from({ length: spectrum.numRows }, (_, i) => Boolean(zero.get(i)));
  return tableFromColumns({
    degree,
    mu,
    multiplicity: readFloat64(spectrum, 'multiplicity'),
    numerical_zero: numericalZero,
    theory_rate: Float64Array.from(mu, (m, i) => degreeTheoryRate(m, learningRate, numericalZero[i])),
  });
}
