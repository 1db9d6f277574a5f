import { describe, expect, it } from 'vitest';
import {
  chebyshevInterpolant,
  familyKernelJet,
  EXPECTATION_ERROR,
  expectationRule,
  familyKernel,
  familyKernelAtOne,
  familySpectrum,
  gaussianPairExpectations,
  modelFamilyProblem,
  PAPER_MODEL,
  type Activation,
  type ModelFamily,
} from '../../src/math/ntk-family.js';
import { gaussHermite, gaussLegendre, normalTrapezoid } from '../../src/math/quadrature.js';
import { erf } from '../../src/math/erf.js';
import { gegenbauer, kappa, mu, multiplicity } from '../../src/math/index.js';
import { kernelReference } from './family-reference.js';
import { muTanhSinhOf, sphereRatioByRecurrence } from './mu-reference.js';

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const model = (depth: number, bias: number, activation: Activation = 'relu'): ModelFamily => ({ depth, bias, activation });
const grid = Array.from({ length: 41 }, (_, i) => -1 + i / 20);

describe('the paper network as a member of the family', () => {
  it('L = 2, beta = 0, ReLU gives kappa(t) = [3t(pi - arccos t) + 2 sqrt(1-t^2)] / (2 pi)', () => {
    for (const t of grid) expect(Math.abs(familyKernel(PAPER_MODEL, t) - kappa(t))).toBeLessThan(1e-15);
    expect(familyKernelAtOne(PAPER_MODEL)).toBe(1.5);
  });

  it('its mu_k equal the closed-form path of ntk.ts to 1e-12 for k <= 50, D = 2 .. 100', () => {
    for (const dim of [2, 3, 5, 10, 100]) {
      const spectrum = familySpectrum(dim, 50, PAPER_MODEL);
      for (const e of spectrum) {
        expect(e.multiplicity).toBe(multiplicity(dim, e.degree));
        if (e.degree >= 3 && e.degree % 2 === 1) {
          expect(Math.abs(e.mu)).toBeLessThan(1e-15);
          expect(e.numericalZero).toBe(true);
        } else {
          expect(relErr(e.mu, mu(dim, e.degree))).toBeLessThan(1e-12);
          expect(e.numericalZero).toBe(false);
        }
      }
    }
  });
});

describe('the kernel recursion', () => {
  it('ReLU and erf agree with a plain evaluation of the recursion in t to 1e-13, L = 2 .. 5', () => {
    for (const activation of ['relu', 'erf'] as const) {
      for (const depth of [2, 3, 4, 5]) {
        for (const bias of [0, 0.5, 1]) {
          for (const t of grid) {
            const ref = kernelReference(depth, bias, activation, t);
            expect(Math.abs(familyKernel(model(depth, bias, activation), t) - ref)).toBeLessThan(1e-13 * Math.max(1, Math.abs(ref)));
          }
        }
      }
    }
  });

  it('tanh and GELU agree with the recursion evaluated by Cholesky-form Gauss–Hermite to 1e-12', () => {
    for (const activation of ['tanh', 'gelu'] as const) {
      for (const [depth, bias] of [
        [2, 0],
        [3, 0],
        [3, 0.5],
      ] as const) {
        for (const t of [-1, -0.6, 0, 0.3, 0.9, 1]) {
          expect(Math.abs(familyKernel(model(depth, bias, activation), t) - kernelReference(depth, bias, activation, t))).toBeLessThan(
            1e-12,
          );
        }
      }
    }
  });

  it('ReLU kappa(1) = 1 + L beta^2 + (1/2) sum_{h=1}^{L-1} (1 + h beta^2)', () => {
    for (const depth of [2, 3, 4, 7]) {
      for (const bias of [0, 0.5, 1, 2]) {
        let expected = 1 + depth * bias * bias;
        for (let h = 1; h < depth; h++) expected += 0.5 * (1 + h * bias * bias);
        expect(relErr(familyKernelAtOne(model(depth, bias)), expected)).toBeLessThan(1e-15);
      }
    }
  });
});

describe('expectations', () => {
  const pairs = (a: number) =>
    [-0.99, 0, 0.5, 0.99999].map((r) => ({ p: Math.sqrt((a + r * a) / 2), q: Math.sqrt((a - r * a) / 2), c: r * a }));
  const erfPrime = (x: number) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);

  it('erf closed forms: (2/pi) asin(2c/(1+2a)) and 4 / (pi sqrt((1+2a)^2 - 4c^2)) match 2-D Gauss–Hermite to 1e-13', () => {
    for (const a of [0.5, 1, 2]) {
      for (const { p, q, c } of pairs(a)) {
        const gh = gaussianPairExpectations(erf, erfPrime, p, q, gaussHermite(180));
        expect(Math.abs(gh.both - (2 / Math.PI) * Math.asin((2 * c) / (1 + 2 * a)))).toBeLessThan(1e-13);
        expect(Math.abs(gh.derivatives - 4 / (Math.PI * Math.sqrt((1 + 2 * a) ** 2 - 4 * c * c)))).toBeLessThan(1e-13);
      }
    }
  });

  const tanhPrime = (x: number) => 1 / Math.cosh(x) ** 2;
  const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  const geluPrime = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  const activations = [
    { name: 'tanh', f: Math.tanh, df: tanhPrime },
    { name: 'gelu', f: gelu, df: geluPrime },
  ];

  it('tanh and GELU: the trapezoid rule is within EXPECTATION_ERROR of one with a third the step, variances 0.5 .. 5', () => {
    for (const { f, df } of activations) {
      for (const a of [0.5, 2, 5]) {
        const d = (0.8 * Math.PI) / (2 * Math.sqrt(2 * a));
        for (const { p, q } of pairs(a)) {
          const used = gaussianPairExpectations(f, df, p, q, expectationRule(a));
          const fine = gaussianPairExpectations(f, df, p, q, normalTrapezoid(d / 3));
          expect(Math.abs(used.both - fine.both)).toBeLessThan(EXPECTATION_ERROR);
          expect(Math.abs(used.derivatives - fine.derivatives)).toBeLessThan(EXPECTATION_ERROR);
        }
      }
    }
  });

  it('tanh and GELU: the trapezoid rule agrees with 180-point Gauss–Hermite where that rule has converged', () => {
    const converged: Array<[string, number[]]> = [
      ['tanh', [0.25, 0.5]],
      ['gelu', [0.5, 1, 2, 3]],
    ];
    for (const [name, variances] of converged) {
      const { f, df } = activations.find((x) => x.name === name)!;
      for (const a of variances) {
        for (const { p, q } of pairs(a)) {
          const used = gaussianPairExpectations(f, df, p, q, expectationRule(a));
          const gh = gaussianPairExpectations(f, df, p, q, gaussHermite(180));
          expect(Math.abs(used.both - gh.both)).toBeLessThan(EXPECTATION_ERROR);
          expect(Math.abs(used.derivatives - gh.derivatives)).toBeLessThan(EXPECTATION_ERROR);
        }
      }
    }
  });

  it('Gauss–Hermite is too slow for tanh at variance 2 (beta = 1), which is why the trapezoid rule is used', () => {
    const a = 2;
    const { p, q } = pairs(a)[3]!;
    const gh = gaussianPairExpectations(Math.tanh, tanhPrime, p, q, gaussHermite(180));
    const used = gaussianPairExpectations(Math.tanh, tanhPrime, p, q, expectationRule(a));
    expect(Math.abs(gh.derivatives - used.derivatives)).toBeGreaterThan(1e-11);
  });
});

describe('chebyshevInterpolant', () => {
  it('reproduces analytic functions to rounding and stops once the coefficients have decayed', () => {
    const f = (t: number) => 1 / (2 - t) + Math.exp(t);
    const interp = chebyshevInterpolant((theta) => f(Math.cos(theta)));
    for (const t of [-1, -0.77, 0, 0.3, 0.999, 1]) expect(Math.abs(interp.at(t) - f(t))).toBeLessThan(1e-14);
    expect(interp.points).toBeLessThanOrEqual(65);
    expect(interp.error).toBeLessThan(1e-14);
  });

  it('the tanh and GELU kernels are sampled on 65 points and interpolated to their own accuracy', () => {
    for (const m of [model(3, 0.5, 'tanh'), model(3, 0.5, 'gelu')]) {
      const interp = chebyshevInterpolant((theta) => familyKernelJet(m, theta, 0).value);
      expect(interp.points).toBe(65);
      for (const t of [-0.99, -0.3, 0.42, 0.9999]) expect(Math.abs(interp.at(t) - familyKernel(m, t))).toBeLessThan(1e-13);
    }
  });
});

/**
 * mu_0 .. mu_maxK of kernelReference by Gauss–Legendre in t (for odd D the weight is a
 * polynomial), the kernel evaluated once per node and shared by every dimension asked for.
 */
function muLegendreInT(dims: number[], maxK: number, m: ModelFamily, order = 40): Map<number, number[]> {
  const { nodes, weights } = gaussLegendre(order);
  const kernel = Array.from(nodes, (t) => kernelReference(m.depth, m.bias, m.activation, t));
  const out = new Map<number, number[]>();
  for (const dim of dims) {
    const mus: number[] = [];
    for (let k = 0; k <= maxK; k++) {
      let s = 0;
      for (let i = 0; i < order; i++)
        s += weights[i]! * kernel[i]! * gegenbauer(dim, k, nodes[i]!) * (1 - nodes[i]! ** 2) ** ((dim - 3) / 2);
      mus.push(sphereRatioByRecurrence(dim) * s);
    }
    out.set(dim, mus);
  }
  return out;
}

describe('mu_k of the family', () => {
  it('ReLU: mu_k matches tanh-sinh quadrature of the recursion to 1e-8 for D in {5,7,10}, L in {2,3,4}, beta in {0,0.5,1}, k <= 8', () => {
    for (const dim of [5, 7, 10]) {
      for (const depth of [2, 3, 4]) {
        for (const bias of [0, 0.5, 1]) {
          const m = model(depth, bias);
          const spectrum = familySpectrum(dim, 8, m);
          for (const e of spectrum) {
            const ref = muTanhSinhOf(dim, e.degree, (t) => kernelReference(depth, bias, 'relu', t));
            if (depth === 2 && bias === 0 && e.degree >= 3 && e.degree % 2 === 1) {
              expect(Math.abs(e.mu)).toBeLessThan(1e-15);
              expect(Math.abs(ref)).toBeLessThan(1e-12);
            } else {
              expect(relErr(e.mu, ref)).toBeLessThan(1e-8);
            }
          }
        }
      }
    }
  });

  it('erf: mu_k matches tanh-sinh quadrature of the recursion to 1e-8; even k vanish without bias', () => {
    for (const dim of [5, 10]) {
      for (const [depth, bias] of [
        [2, 0],
        [3, 0],
        [3, 0.5],
        [4, 1],
      ] as const) {
        for (const e of familySpectrum(dim, 8, model(depth, bias, 'erf'))) {
          if (bias === 0 && e.degree % 2 === 0) {
            expect(e.numericalZero).toBe(true);
            expect(Math.abs(e.mu)).toBeLessThan(1e-15);
            continue;
          }
          expect(e.numericalZero).toBe(false);
          expect(
            relErr(
              e.mu,
              muTanhSinhOf(dim, e.degree, (t) => kernelReference(depth, bias, 'erf', t)),
            ),
          ).toBeLessThan(1e-8);
        }
      }
    }
  });

  it('tanh and GELU: mu_k matches Gauss–Legendre in t over a Gauss–Hermite kernel, to 1e-8 where mu_k > 1e-6', () => {
    for (const activation of ['tanh', 'gelu'] as const) {
      for (const [depth, bias] of [
        [2, 0],
        [3, 0.5],
      ] as const) {
        const m = model(depth, bias, activation);
        const refs = muLegendreInT([5, 7], 6, m);
        for (const dim of [5, 7]) {
          for (const e of familySpectrum(dim, 6, m)) {
            const ref = refs.get(dim)![e.degree]!;
            if (activation === 'tanh' && bias === 0 && e.degree % 2 === 0) {
              expect(e.numericalZero).toBe(true);
              expect(Math.abs(ref)).toBeLessThan(1e-13);
            } else {
              if (Math.abs(ref) > 1e-6) expect(relErr(e.mu, ref)).toBeLessThan(1e-8);
              // The stated error bound holds, up to the reference's own Gauss–Hermite error.
              expect(Math.abs(e.mu - ref)).toBeLessThan(e.errorBound + 2e-13);
            }
          }
        }
      }
    }
  });

  it('ReLU, erf: the quadrature has converged to ~1e-13 relative for every non-zero degree up to 50', () => {
    for (const m of [model(3, 0.5), model(4, 0), model(3, 1, 'erf')]) {
      for (const e of familySpectrum(10, 50, m)) {
        expect(e.numericalZero).toBe(false);
        expect(e.mu).toBeGreaterThan(0);
        expect(e.errorBound).toBeLessThan(1e-10 * e.mu);
      }
    }
  });

  it('the Mercer series sum_k mu_k N(D,k) P_k(t) reproduces kappa(t) inside (-1, 1)', () => {
    for (const m of [model(3, 0.5), model(4, 1), model(3, 0.5, 'erf')]) {
      const spectrum = familySpectrum(10, 50, m);
      for (const t of [-0.5, 0, 0.5]) {
        let total = 0;
        for (const e of spectrum) total += e.mu * e.multiplicity * gegenbauer(10, e.degree, t);
        expect(Math.abs(total - familyKernel(m, t))).toBeLessThan(1e-6);
      }
    }
  });
});

describe('kappa(1) = sum_k N(D,k) mu_k', () => {
  it('smooth activations: the partial sum is within the geometric tail bound of kappa(1)', () => {
    // N(D,k) mu_k decays geometrically. Sum the resolved degrees (up to the first numerical zero,
    // K); with q the largest ratio of successive terms over the last ten, the tail after K is at
    // most term_K q / (1 - q), plus each summed term's error bound.
    const cases: Array<[number, number, ModelFamily]> = [
      [5, 50, model(3, 0.5, 'erf')],
      [3, 30, model(2, 0.5, 'tanh')],
      [3, 30, model(3, 0.5, 'gelu')],
    ];
    for (const [dim, maxK, m] of cases) {
      const spectrum = familySpectrum(dim, maxK, m);
      const first = spectrum.findIndex((e) => e.numericalZero);
      const resolved = first === -1 ? spectrum : spectrum.slice(0, first);
      const big = resolved.length - 1;
      expect(big).toBeGreaterThanOrEqual(12);
      const terms = resolved.map((e) => e.mu * e.multiplicity);
      const sum = terms.reduce((acc, v) => acc + v, 0);
      const sumError = resolved.reduce((acc, e) => acc + e.errorBound * e.multiplicity, 0);
      let q = 0;
      for (let k = big - 9; k <= big; k++) q = Math.max(q, terms[k]! / terms[k - 1]!);
      expect(q).toBeLessThan(1);
      const tail = (terms[big]! * q) / (1 - q);
      const gap = familyKernelAtOne(m) - sum;
      expect(gap).toBeGreaterThan(-sumError);
      expect(gap).toBeLessThan(tail + sumError);
    }
  });

  it('ReLU: the remainder after K = 50 is positive and matches the k^-2 tail of N(D,k) mu_k within 10%', () => {
    // kappa has a sqrt(1 - t) singularity at t = 1 at every depth, so mu_k ~ k^-D and
    // N(D,k) mu_k ~ C k^-2; the tail after K is then C / K (1 + O(1/K)). C is measured on k = 41..50
    // (an even number of degrees, so both parities count alike).
    for (const [dim, m] of [
      [5, model(2, 0)],
      [5, model(3, 0.5)],
      [7, model(4, 1)],
    ] as const) {
      const spectrum = familySpectrum(dim, 50, m);
      const sum = spectrum.reduce((s, e) => s + e.mu * e.multiplicity, 0);
      let c = 0;
      for (let k = 41; k <= 50; k++) c += (spectrum[k]!.mu * spectrum[k]!.multiplicity * k * k) / 10;
      const tail = c / 50.5;
      const remainder = familyKernelAtOne(m) - sum;
      expect(remainder).toBeGreaterThan(0);
      expect(relErr(remainder, tail)).toBeLessThan(0.1);
    }
  });
});

describe('odd degrees', () => {
  it('a bias makes every odd mu_k positive; without it the paper network has mu_k = 0 for odd k >= 3', () => {
    for (const bias of [0.5, 1]) {
      for (const depth of [2, 3]) {
        const spectrum = familySpectrum(10, 15, model(depth, bias));
        for (const e of spectrum) {
          expect(e.mu).toBeGreaterThan(0);
          expect(e.numericalZero).toBe(false);
        }
      }
    }
    const paper = familySpectrum(10, 15, PAPER_MODEL);
    for (const e of paper.filter((x) => x.degree >= 3 && x.degree % 2 === 1)) {
      expect(e.numericalZero).toBe(true);
      expect(Math.abs(e.mu)).toBeLessThan(1e-15 * paper[0]!.mu);
    }
  });

  it('without bias, depth >= 3 ReLU already has positive odd mu_k (the composition breaks the parity)', () => {
    for (const e of familySpectrum(10, 15, model(3, 0))) {
      expect(e.mu).toBeGreaterThan(0);
      expect(e.numericalZero).toBe(false);
    }
  });
});

describe('model parameters', () => {
  it('modelFamilyProblem names the field', () => {
    expect(modelFamilyProblem({ depth: 1, bias: 0, activation: 'relu' })?.field).toBe('depth');
    expect(modelFamilyProblem({ depth: 2.5, bias: 0, activation: 'relu' })?.field).toBe('depth');
    expect(modelFamilyProblem({ depth: 2, bias: -0.1, activation: 'relu' })?.field).toBe('bias');
    expect(modelFamilyProblem({ depth: 2, bias: NaN, activation: 'relu' })?.field).toBe('bias');
    expect(modelFamilyProblem({ depth: 2, bias: 0, activation: 'sigmoid' })?.field).toBe('activation');
    expect(modelFamilyProblem({ depth: 3, bias: 1, activation: 'gelu' })).toBeNull();
    expect(() => familySpectrum(10, 4, model(2, -1))).toThrow(/bias/);
  });
});
