import { describe, expect, it } from 'vitest';
import { familySpectrum } from '../../src/math/ntk-family.js';
import { spectrumDecay } from '../../src/math/spectrum-decay.js';

const degrees = [1, 2, 3, 4, 5, 6, 7, 8];

describe('spectrumDecay', () => {
  it('recovers an exact power law and an exact exponential, each with R^2 = 1 on its own axis only', () => {
    const power = spectrumDecay(degrees.map((k) => ({ degree: k, mu: 3 * k ** -2.5 })));
    expect(power.power.slope).toBeCloseTo(2.5, 12);
    expect(power.power.r2).toBeCloseTo(1, 12);
    expect(power.exponential.r2).toBeLessThan(0.99);
    const exp = spectrumDecay(degrees.map((k) => ({ degree: k, mu: 0.2 * Math.exp(-1.3 * k) })));
    expect(exp.exponential.slope).toBeCloseTo(1.3, 12);
    expect(exp.exponential.r2).toBeCloseTo(1, 12);
    expect(exp.power.r2).toBeLessThan(0.99);
  });

  it('equals the normal equations solved directly on a noisy spectrum, and leaves out zeros and degrees outside [from, to]', () => {
    const mus = [0.3, 0.07, 0, 6e-4, -1e-20, 4e-5, 9e-6, 3e-6];
    const fit = spectrumDecay(
      mus.map((mu, i) => ({ degree: i + 1, mu })),
      { from: 2, to: 7 },
    );
    expect(fit.degrees).toEqual([2, 4, 6, 7]);
    // y = c + b x by Cramer's rule on [[n, Sx], [Sx, Sxx]] [c, b] = [Sy, Sxy].
    const x = fit.degrees;
    const y = x.map((k) => Math.log(mus[k - 1]!));
    const n = x.length;
    const sx = x.reduce((a, v) => a + v, 0);
    const sxx = x.reduce((a, v) => a + v * v, 0);
    const sy = y.reduce((a, v) => a + v, 0);
    const sxy = x.reduce((a, v, i) => a + v * y[i]!, 0);
    const b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const c = (sy - b * sx) / n;
    const ssRes = y.reduce((a, v, i) => a + (v - c - b * x[i]!) ** 2, 0);
    const ssTot = y.reduce((a, v) => a + (v - sy / n) ** 2, 0);
    expect(fit.exponential.slope).toBeCloseTo(-b, 12);
    expect(fit.exponential.r2).toBeCloseTo(1 - ssRes / ssTot, 12);
    expect(
      spectrumDecay([
        { degree: 1, mu: 1 },
        { degree: 2, mu: 0.5 },
      ]).power.slope,
    ).toBeNaN();
  });

  it('names a power law for the ReLU kernel and an exponential for erf, from their computed spectra (D = 10, k = 2 ... 20)', () => {
    // The paper's kernel: its odd mu_k (k >= 3) are rounding noise, flagged and left out, so only even k are fitted.
    const paper = spectrumDecay(familySpectrum(10, 20, { depth: 2, bias: 0, activation: 'relu' }), { from: 2 });
    expect(paper.degrees).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(paper.power.r2).toBeGreaterThan(paper.exponential.r2);
    const relu = spectrumDecay(familySpectrum(10, 20, { depth: 2, bias: 0.5, activation: 'relu' }), { from: 2 });
    const erf = spectrumDecay(familySpectrum(10, 20, { depth: 2, bias: 0.5, activation: 'erf' }), { from: 2 });
    expect(relu.power.r2).toBeGreaterThan(relu.exponential.r2);
    expect(erf.exponential.r2).toBeGreaterThan(erf.power.r2);
  });
});
