/**
 * The summary of replicate runs (the same spec at N seeds): for each degree, the mean of each rate
 * and the fitted rate's 95% t-interval over the runs whose fit was not refused.
 *
 *   summarizeReplicates([ratesOfRun1, ratesOfRun2, ratesOfRun3]);
 *   // [{ degree: 1, fittedRate: 0.151, ci95: [0.139, 0.163], n: 3, kernelRate: ..., ... }]
 */
import { tInterval } from '../math/student-t.js';
import type { RateSummary } from '../pipeline/types.js';

export interface ReplicateRate {
  degree: number;
  /** The mean over the replicates with a fitted rate. */
  fittedRate: number | null;
  /** The mean's 95% t-interval (t with n - 1 degrees of freedom); null below 2 fitted replicates. */
  ci95: [number, number] | null;
  /** Replicates with a fitted rate. */
  n: number;
  kernelRate: number | null;
  initKernelRate: number | null;
  theoryRate: number | null;
  r2: number | null;
  /** The standard error of the mean, s / sqrt(n). */
  stderr: number | null;
  /** The union of the replicates' fit windows. */
  window: [number, number] | null;
  note: string | null;
}

const mean = (v: number[]) => (v.length ? v.reduce((a, x) => a + x, 0) / v.length : null);
const present = (v: (number | null | undefined)[]) => v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

export function summarizeReplicates(runs: RateSummary[][]): ReplicateRate[] {
  const degrees = [...new Set(runs.flatMap((r) => r.map((x) => x.degree)))].sort((a, b) => a - b);
  return degrees.map((degree) => {
    const rows = runs.map((r) => r.find((x) => x.degree === degree)).filter((x): x is RateSummary => x !== undefined);
    const fitted = present(rows.map((r) => r.fittedRate));
    const ci = tInterval(fitted);
    const windows = rows.map((r) => r.window).filter((w): w is [number, number] => Array.isArray(w));
    const refused = rows.length - fitted.length;
    return {
      degree,
      fittedRate: mean(fitted),
      ci95: ci ? [ci.lo, ci.hi] : null,
      n: fitted.length,
      kernelRate: mean(present(rows.map((r) => r.kernelRate))),
      initKernelRate: mean(present(rows.map((r) => r.initKernelRate))),
      theoryRate: mean(present(rows.map((r) => r.theoryRate))),
      r2: mean(present(rows.map((r) => r.r2))),
      stderr: ci ? Math.sqrt(fitted.reduce((a, v) => a + (v - ci.mean) ** 2, 0) / (fitted.length - 1) / fitted.length) : null,
      window: windows.length ? [Math.min(...windows.map((w) => w[0])), Math.max(...windows.map((w) => w[1]))] : null,
      note: refused > 0 ? `${refused} of ${rows.length} replicates refused the fit` : null,
    };
  });
}
