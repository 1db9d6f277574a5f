/**
 * The analytic NTK eigenvalues mu_k of several models of the family against the degree k, one
 * line per model, in two panels: log-log axes, where a power law mu_k ~ k^-p is straight, and a
 * linear k axis, where an exponential mu_k ~ e^(-a k) is. ReLU kernels bend on the second and
 * straighten on the first; smooth activations (erf, tanh) the other way round.
 *
 * ```ts
 * spectraFigure({
 *   models: [{ label: 'relu', spectrum: familySpectrum(10, 20, relu) }, { label: 'erf', spectrum: familySpectrum(10, 20, erf) }],
 *   subject: 'activation-sweep', name: 'activation-spectra',
 * });
 * ```
 *
 * k = 0 has no place on a log axis and is left out of both panels (so they show the same
 * points); so are numerical zeros (the paper's odd k >= 3), which the caption lists.
 */

import type { TopLevelSpec } from 'vega-lite';
import { DEGREE_SCHEME, LOG_AXIS, positive, styled, type Figure } from './figure.js';

export interface ModelSpectrum {
  /** The model as the figure's legend names it, e.g. `depth=3` or `activation=erf`. */
  label: string;
  spectrum: readonly { degree: number; mu: number; numericalZero?: boolean }[];
}

export interface SpectraFigureInput {
  models: ModelSpectrum[];
  subject: string;
  /** File stem; `spectra` when absent. */
  name?: string;
}

export function spectraFigure(input: SpectraFigureInput): Figure {
  const labels = input.models.map((m) => m.label);
  const points = input.models.flatMap((m) =>
    m.spectrum
      .filter((s) => s.degree >= 1 && !s.numericalZero && positive(s.mu))
      .map((s) => ({ model: m.label, degree: s.degree, mu: s.mu })),
  );
  const maxDegree = Math.max(1, ...points.map((p) => p.degree));
  const zeros = input.models
    .map((m) => ({
      label: m.label,
      degrees: m.spectrum.filter((s) => s.degree >= 1 && (s.numericalZero || !positive(s.mu))).map((s) => s.degree),
    }))
    .filter((z) => z.degrees.length > 0);

  const y = { field: 'mu', type: 'quantitative', title: 'μ_k', scale: { type: 'log' }, axis: LOG_AXIS };
  const color = { field: 'model', type: 'nominal', title: 'model', sort: labels, scale: { domain: labels, scheme: DEGREE_SCHEME } };
  const panel = (logX: boolean) => ({
    width: 300,
    height: 260,
    title: logX ? 'log-log: a power law is straight' : 'linear k: an exponential is straight',
    data: { values: points },
    mark: { type: 'line', point: { size: 30, filled: true } },
    encoding: {
      x: logX
        ? {
            field: 'degree',
            type: 'quantitative',
            title: 'degree k (log scale)',
            scale: { type: 'log', domain: [0.9, maxDegree * 1.1], nice: false },
            axis: { values: [1, 2, 3, 5, 10, 20, 50].filter((v) => v <= maxDegree), format: 'd' },
          }
        : {
            field: 'degree',
            type: 'quantitative',
            title: 'degree k',
            scale: { domain: [0, maxDegree], nice: false },
            axis: { format: 'd' },
          },
      y,
      color,
    },
  });

  const spec = styled({
    title: {
      text: 'NTK eigenvalues μ_k against degree k, per model',
      subtitle: `${input.subject} · analytic, uniform measure on the sphere`,
    },
    hconcat: [panel(true), panel(false)],
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec);

  return {
    name: input.name ?? 'spectra',
    heading: 'NTK spectra of the models',
    caption:
      `The analytic eigenvalue μ_k of each model's NTK for degree k = 1 … ${maxDegree}, one colour per model, on log-log axes (left) and ` +
      'with a linear k axis (right); a power-law decay is a straight line on the left, an exponential one on the right. ' +
      'k = 0 is left out (no place on a log axis)' +
      (zeros.length
        ? `; so are the numerical zeros: ${zeros.map((z) => `${z.label} at k = ${compactDegrees(z.degrees)}`).join('; ')}`
        : '') +
      '.',
    spec,
  };
}

/** 3, 5, 7 … as "3, 5, 7"; a long run of odd degrees as "3, 5, …, 19". */
function compactDegrees(ks: number[]): string {
  return ks.length > 4 ? `${ks.slice(0, 2).join(', ')}, …, ${ks.at(-1)}` : ks.join(', ');
}
