/**
 * Figure (b): the analytic NTK eigenvalues mu_k against the degree k on
 * log-log axes, with the eigenvalues of the sample's Gram matrix K/n drawn as
 * horizontal ticks at the degree of their cluster. On n uniform points the
 * Gram eigenvalues cluster near mu_k, N(D,k) of them per degree (docs/science.md), so
 * each strip of ticks should straddle its mu_k point.
 *
 * ```ts
 * spectrumFigure({ spectrum: rowsOfSpectrumTable, gram: rowsOfGramEigenvalues, subject: runId });
 * ```
 *
 * A log x axis has no place for k = 0: mu_0 and cluster 0 are left out of the
 * plot and quoted in the caption instead. Numerical zeros (odd k >= 3, where
 * mu_k = 0 because the network has no bias) are left out too.
 */

import type { TopLevelSpec } from 'vega-lite';
import { formatValue } from './format.js';
import { LOG_AXIS, positive, styled, type Figure } from './figure.js';

export interface SpectrumPoint {
  degree: number;
  mu: number;
  multiplicity: number;
  numerical_zero: boolean | null;
}

export interface GramPoint {
  eigenvalue: number;
  /** The degree whose cluster the eigenvalue belongs to; null when unassigned. */
  cluster: number | null;
}

export interface SpectrumFigureInput {
  spectrum: SpectrumPoint[];
  gram: GramPoint[];
  subject: string;
}

const MU = 'μ_k (analytic, uniform measure)';
const GRAM = 'eigenvalues of K/n (sample Gram)';

export function spectrumFigure(input: SpectrumFigureInput): Figure {
  const mu = input.spectrum
    .filter((s) => s.degree >= 1 && !s.numerical_zero && positive(s.mu))
    .map((s) => ({ degree: s.degree, value: s.mu, series: MU, label: `N=${formatMultiplicity(s.multiplicity)}` }));
  const gram = input.gram
    .filter((g) => g.cluster !== null && g.cluster >= 1 && positive(g.eigenvalue))
    .map((g) => ({ degree: g.cluster, value: g.eigenvalue, series: GRAM }));
  const series = [MU, ...(gram.length ? [GRAM] : [])];
  const maxDegree = Math.max(1, ...mu.map((m) => m.degree), ...gram.map((g) => g.degree as number));

  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: ['#1f1f1f', '#e45756'] } };
  const x = {
    field: 'degree',
    type: 'quantitative',
    title: 'degree k (log scale)',
    scale: { type: 'log', domain: [0.9, maxDegree * 1.15], nice: false },
    axis: { values: range(1, maxDegree), format: 'd' },
  };
  const y = { field: 'value', type: 'quantitative', title: 'eigenvalue', scale: { type: 'log' }, axis: LOG_AXIS };

  const spec = styled({
    title: {
      text: 'NTK eigenvalues μ_k against degree k',
      subtitle: `${input.subject} · log-log axes; Gram eigenvalues at their cluster's degree`,
    },
    width: 460,
    height: 320,
    layer: [
      ...(gram.length
        ? [
            {
              data: { values: gram },
              mark: { type: 'tick', orient: 'horizontal', thickness: 1.2, size: 16, opacity: 0.45 },
              encoding: { x, y, color },
            },
          ]
        : []),
      { data: { values: mu }, mark: { type: 'line', point: { size: 50, filled: true } }, encoding: { x, y, color } },
      {
        data: { values: mu },
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10, color: '#333' },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec);

  const zeroMu = input.spectrum.find((s) => s.degree === 0);
  const zeroGram = input.gram.filter((g) => g.cluster === 0).map((g) => g.eigenvalue);
  const unclustered = input.gram.filter((g) => g.cluster === null).length;
  const zeros = input.spectrum.filter((s) => s.degree >= 1 && (s.numerical_zero || !(s.mu > 0))).map((s) => s.degree);
  const truncated = input.spectrum
    .filter((s) => s.degree >= 1 && !s.numerical_zero && s.mu > 0)
    .map((s) => ({ degree: s.degree, count: gram.filter((g) => g.degree === s.degree).length, multiplicity: s.multiplicity }))
    .filter((c) => c.count > 0 && c.count < c.multiplicity);
  const notes = [
    zeroMu
      ? `k = 0 has no place on a log axis and is left out: μ_0 = ${formatValue(zeroMu.mu)}` +
        (zeroGram.length ? `, its Gram cluster ${zeroGram.map((v) => formatValue(v)).join(', ')}` : '')
      : null,
    zeros.length ? `μ_k is zero (to rounding) for k = ${zeros.join(', ')}, so those degrees are not drawn` : null,
    truncated.length
      ? `cluster${truncated.length === 1 ? '' : 's'} ${truncated.map((c) => `${c.degree} (${c.count} eigenvalue${c.count === 1 ? '' : 's'} for N = ${formatMultiplicity(c.multiplicity)})`).join(', ')} ` +
        `${truncated.length === 1 ? 'is' : 'are'} cut short by the sample size, so ${truncated.length === 1 ? 'it lumps' : 'they lump'} in eigen-directions of higher degrees and need not straddle μ_k`
      : null,
    unclustered ? `${unclustered} Gram eigenvalue${unclustered === 1 ? '' : 's'} not assigned to a cluster are not drawn` : null,
  ].filter((n): n is string => n !== null);
  return {
    name: 'spectrum',
    heading: 'NTK spectrum: μ_k and the Gram eigenvalues',
    caption:
      'Black: the analytic eigenvalue μ_k of the NTK on the sphere for each degree k, labelled with its multiplicity N(D,k). ' +
      (gram.length
        ? "Red ticks: the eigenvalues of the sample's Gram matrix K/n, each at the degree of the cluster it was assigned to; " +
          'with uniform inputs and n well above N(D,k), each strip straddles its μ_k. '
        : 'This run stored no Gram eigenvalues. ') +
      (notes.length ? `${notes.join('; ')}.` : ''),
    spec,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function formatMultiplicity(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}
