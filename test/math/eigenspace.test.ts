import { describe, it, expect } from 'vitest';
import {
  clusterByGaps,
  clusterByMultiplicity,
  eigenspaceProjection,
  gegenbauer,
  harmonicEnergy,
  multiplicity,
  mu,
  ntkGram,
  Prng,
  randomUnitVector,
  sampleSphere,
  symmetricEigen,
} from '../../src/math/index.js';

function clusterSizes(cluster: Int32Array): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const c of cluster) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  return sizes;
}

describe('clusterByMultiplicity', () => {
  it('clusterByMultiplicity on D = 3 gives degrees 0, 1, 2, 4, 6, 8 with cluster sizes 2k + 1, then -1', () => {
    const cluster = clusterByMultiplicity(new Float64Array(60), 3, 8);
    const expected: number[] = [];
    for (const k of [0, 1, 2, 4, 6, 8]) for (let j = 0; j < 2 * k + 1; j++) expected.push(k);
    while (expected.length < 60) expected.push(-1);
    expect(Array.from(cluster)).toEqual(expected);
  });

  it('clusterByMultiplicity cuts the last degree short when the sample runs out', () => {
    const sizes = clusterSizes(clusterByMultiplicity(new Float64Array(20), 3, 8)); // 1 + 3 + 5 + 9 = 18, then 2 of degree 6
    expect([...sizes.entries()]).toEqual([
      [0, 1],
      [1, 3],
      [2, 5],
      [4, 9],
      [6, 2],
    ]);
  });

  it('the Gram eigenvalues of a uniform sample average to mu_k within each multiplicity cluster (within 5%)', () => {
    const n = 400;
    const dim = 3;
    const x = sampleSphere(new Prng(31, 'test/eigenspace'), n, dim);
    const { values } = symmetricEigen(ntkGram(x, n, dim), n);
    const cluster = clusterByMultiplicity(values, dim, 4);
    for (const k of [0, 1, 2, 4]) {
      let s = 0;
      let c = 0;
      for (let j = 0; j < n; j++) {
        if (cluster[j] !== k) continue;
        s += values[j]! / n;
        c++;
      }
      expect(Math.abs(s / c - mu(dim, k)) / mu(dim, k)).toBeLessThan(0.05);
    }
  });
});

describe('clusterByGaps', () => {
  it('clusterByGaps cuts a spectrum with obvious gaps at its largest log gaps and leaves the zeros out', () => {
    const values = new Float64Array([10, 9.5, 9, 1, 0.9, 0.8, 0.01, 0.009, 0.0085, 1e-15, 0]);
    expect(Array.from(clusterByGaps(values, 3))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, -1, -1]);
    expect(Array.from(clusterByGaps(values, 2))).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1]);
    expect(Array.from(clusterByGaps(values, 1))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1]);
  });

  it('clusterByGaps rejects unsorted spectra and more clusters than usable eigenvalues', () => {
    expect(() => clusterByGaps(new Float64Array([1, 2]), 1)).toThrow(/sorted descending/);
    expect(() => clusterByGaps(new Float64Array([1, 0.5, 0]), 3)).toThrow(/3 clusters need at least 3 eigenvalues/);
  });
});

describe('eigenspaceProjection', () => {
  const n = 40;
  const dim = 4;
  const x = sampleSphere(new Prng(32, 'test/eigenspace'), n, dim);
  const { vectors } = symmetricEigen(ntkGram(x, n, dim), n, { vectors: true });
  const u = vectors!;

  it('eigenspaceProjection of an eigenvector onto itself is 1 and onto the others 0', () => {
    for (const j of [0, 5, 39]) {
      const v = Float64Array.from({ length: n }, (_, i) => u[i * n + j]!);
      expect(Math.abs(eigenspaceProjection(v, u, n, [j]) - 1)).toBeLessThan(1e-12);
      const others = Array.from({ length: n }, (_, i) => i).filter((i) => i !== j);
      expect(eigenspaceProjection(v, u, n, others)).toBeLessThan(1e-12);
    }
  });

  it('eigenspaceProjection over all columns is ||r|| and splits it by Pythagoras', () => {
    const r = new Prng(33, 'test/r').normals(n);
    const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    const all = Int32Array.from({ length: n }, (_, i) => i);
    expect(Math.abs(eigenspaceProjection(r, u, n, all) - norm)).toBeLessThan(1e-12);
    const a = eigenspaceProjection(r, u, n, all.subarray(0, 10));
    const b = eigenspaceProjection(r, u, n, all.subarray(10));
    expect(Math.abs(a * a + b * b - norm * norm)).toBeLessThan(1e-10);
  });
});

describe('harmonicEnergy', () => {
  it('harmonicEnergy at degrees 0 and 1 equals its closed forms (sum r)^2/n^2 and D/n^2 sum_l (sum_i r_i x_il)^2', () => {
    // Degree 0: Y = 1. Degree 1: Y_l(x) = sqrt(D) x_l is an orthonormal basis under the uniform measure.
    const n = 50;
    const dim = 6;
    const x = sampleSphere(new Prng(34, 'test/energy'), n, dim);
    const r = new Prng(35, 'test/energy').normals(n);
    const sum = r.reduce((s, v) => s + v, 0);
    expect(Math.abs(harmonicEnergy(r, x, n, dim, 0) - (sum * sum) / (n * n))).toBeLessThan(1e-14);
    let e1 = 0;
    for (let l = 0; l < dim; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += r[i]! * x[i * dim + l]!;
      e1 += s * s;
    }
    expect(Math.abs(harmonicEnergy(r, x, n, dim, 1) - (dim * e1) / (n * n))).toBeLessThan(1e-14);
  });

  it('harmonicEnergy of a degree-2 zonal residual is ~ its mean square at degree 2 and ~0 at other degrees', () => {
    const n = 2000;
    const dim = 5;
    const rng = new Prng(36, 'test/energy');
    const x = sampleSphere(rng, n, dim);
    const zeta = randomUnitVector(rng, dim);
    const r = Float64Array.from({ length: n }, (_, i) => {
      let t = 0;
      for (let d = 0; d < dim; d++) t += zeta[d]! * x[i * dim + d]!;
      return gegenbauer(dim, 2, t);
    });
    const meanSquare = r.reduce((s, v) => s + v * v, 0) / n;
    // The V-statistic carries a diagonal bias of about N(D,k)/n * meanSquare (N(5,2) = 14, 0.7%).
    expect(Math.abs(harmonicEnergy(r, x, n, dim, 2) / meanSquare - 1)).toBeLessThan(0.1);
    for (const k of [0, 1, 3, 4]) expect(Math.abs(harmonicEnergy(r, x, n, dim, k))).toBeLessThan(0.05 * meanSquare);
  });
});

describe('harmonicEnergyWithKernel', () => {
  it('equals harmonicEnergy computed pair by pair', async () => {
    const { Prng } = await import('../../src/math/prng.js');
    const { sampleSphere } = await import('../../src/math/sphere.js');
    const { harmonicEnergy, harmonicEnergyWithKernel, zonalKernel } = await import('../../src/math/eigenspace.js');
    const rng = new Prng(5, 'test/zonal');
    const n = 40;
    const dim = 6;
    const x = sampleSphere(rng, n, dim);
    const r = rng.normals(n);
    for (const k of [0, 1, 2, 4]) {
      const direct = harmonicEnergy(r, x, n, dim, k);
      const viaKernel = harmonicEnergyWithKernel(r, zonalKernel(x, n, dim, k), n, dim, k);
      expect(Math.abs(viaKernel - direct)).toBeLessThan(1e-12 * Math.max(1, Math.abs(direct)));
    }
  });
});

describe('harmonicEnergyOffDiagonal (the U-statistic)', () => {
  it('equals a brute-force sum over pairs i != j, scaled by N(D,k) / (n (n - 1))', async () => {
    const { harmonicEnergyOffDiagonal, zonalKernel } = await import('../../src/math/eigenspace.js');
    const { multiplicity } = await import('../../src/math/gegenbauer.js');
    const n = 40;
    const dim = 6;
    const rng = new Prng(52, 'test/ustat');
    const x = sampleSphere(rng, n, dim);
    const r = rng.normals(n, 1);
    for (const k of [0, 1, 2, 4]) {
      let brute = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          let t = 0;
          for (let d = 0; d < dim; d++) t += x[i * dim + d]! * x[j * dim + d]!;
          brute += r[i]! * r[j]! * gegenbauer(dim, k, t);
        }
      }
      brute *= multiplicity(dim, k) / (n * (n - 1));
      expect(Math.abs(harmonicEnergyOffDiagonal(r, zonalKernel(x, n, dim, k), n, dim, k) - brute)).toBeLessThan(
        1e-12 * (1 + Math.abs(brute)),
      );
    }
  });

  it('has no diagonal bias: for pure noise (no degree-4 part in expectation) it averages near 0 where the V-statistic reads N(D,4)/n of the mean square', async () => {
    const { harmonicEnergyOffDiagonal, harmonicEnergyWithKernel, zonalKernel } = await import('../../src/math/eigenspace.js');
    const { multiplicity } = await import('../../src/math/gegenbauer.js');
    const n = 300;
    const dim = 5;
    const x = sampleSphere(new Prng(53, 'test/ustat/x'), n, dim);
    const z = zonalKernel(x, n, dim, 4);
    let u = 0;
    let v = 0;
    const reps = 20;
    for (let rep = 0; rep < reps; rep++) {
      // A residual independent of x: white noise of mean square 1 has energy 0 in any fixed finite set of harmonics.
      const r = new Prng(54 + rep, 'test/ustat/r').normals(n, 1);
      u += harmonicEnergyOffDiagonal(r, z, n, dim, 4) / reps;
      v += harmonicEnergyWithKernel(r, z, n, dim, 4) / reps;
    }
    const bias = multiplicity(dim, 4) / n; // N(5,4) = 55: 0.18
    expect(Math.abs(v - bias)).toBeLessThan(0.3 * bias);
    expect(Math.abs(u)).toBeLessThan(0.15 * bias);
  });
});

describe('clusterByZonalEnergy', () => {
  it('puts a sampled degree-k zonal function in degree k with high purity, and a mixture in its dominant degree with its share as purity', async () => {
    const { clusterByZonalEnergy } = await import('../../src/math/eigenspace.js');
    const n = 600;
    const dim = 5;
    const rng = new Prng(61, 'test/purity');
    const x = sampleSphere(rng, n, dim);
    const zeta = randomUnitVector(rng, dim);
    const zonal = (k: number) =>
      Float64Array.from({ length: n }, (_, i) => {
        let t = 0;
        for (let d = 0; d < dim; d++) t += zeta[d]! * x[i * dim + d]!;
        return gegenbauer(dim, k, t);
      });
    const unit = (v: Float64Array) => {
      const s = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
      return v.map((e) => e / s);
    };
    const p1 = unit(zonal(1));
    const p2 = unit(zonal(2));
    // 0.8 of the squared norm in degree 2, 0.2 in degree 1 (the two are nearly orthogonal on the sample)
    const mix = unit(p2.map((v, i) => Math.sqrt(0.8) * v + Math.sqrt(0.2) * p1[i]!));
    const vectors = new Float64Array(n * n);
    [p2, p1, mix].forEach((col, c) => col.forEach((v, i) => (vectors[i * n + c] = v)));
    const { cluster, purity } = clusterByZonalEnergy(vectors, n, x, dim, 4, 3);
    expect([cluster[0], cluster[1], cluster[2], cluster[3]]).toEqual([2, 1, 2, -1]);
    expect(purity[0]).toBeGreaterThan(0.9);
    expect(purity[1]).toBeGreaterThan(0.9);
    expect(Math.abs(purity[2]! - 0.8)).toBeLessThan(0.08);
    expect(Number.isNaN(purity[3]!)).toBe(true);
  });

  it('an eigenvector with no positive energy in any degree is left unassigned, not put in degree 0', async () => {
    const { clustersFromZonalEnergies } = await import('../../src/math/eigenspace.js');
    // Columns: degree 1 dominant; all energies negative (the U-statistic can be); degree 0 only.
    const energies = [Float64Array.of(0.1, -0.2, 0.5), Float64Array.of(0.9, -0.1, -0.3)];
    const { cluster, purity } = clustersFromZonalEnergies(energies, 4);
    expect([...cluster]).toEqual([1, -1, 0, -1]);
    expect(purity[0]).toBeCloseTo(0.9, 12);
    expect(Number.isNaN(purity[1]!)).toBe(true);
    expect(purity[2]).toBe(1);
  });

  it('zonalEnergies is N(D,k) sum_{i != j} u_i u_j P_k(<x_i, x_j>) per column, against the brute-force double sum', async () => {
    const { zonalEnergies } = await import('../../src/math/eigenspace.js');
    const n = 40;
    const dim = 4;
    const rng = new Prng(62, 'test/zonal-energies');
    const x = sampleSphere(rng, n, dim);
    const vectors = rng.normals(n * n);
    const got = zonalEnergies(vectors, n, x, dim, 3, 5);
    for (let c = 0; c < 5; c++) {
      let s = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          let t = 0;
          for (let d = 0; d < dim; d++) t += x[i * dim + d]! * x[j * dim + d]!;
          s += vectors[i * n + c]! * vectors[j * n + c]! * gegenbauer(dim, 3, t);
        }
      expect(got[c]! / (multiplicity(dim, 3) * s) - 1).toBeCloseTo(0, 10);
    }
  });
});

describe('zonal kernels as monomial features', () => {
  it('gegenbauerCoefficients evaluate to gegenbauer on [-1, 1], and the feature counts are sum_p C(D + p - 1, p)', async () => {
    const { gegenbauerCoefficients, zonalFeatureCount } = await import('../../src/math/eigenspace.js');
    for (const dim of [2, 3, 10]) {
      for (const k of [0, 1, 2, 3, 4, 6]) {
        const c = gegenbauerCoefficients(dim, k);
        for (const t of [-1, -0.7, -0.1, 0, 0.33, 0.9, 1]) {
          let v = 0;
          for (let p = k; p >= 0; p--) v = v * t + c[p]!;
          expect(Math.abs(v - gegenbauer(dim, k, t))).toBeLessThan(1e-13);
        }
      }
    }
    expect(zonalFeatureCount(10, 1)).toBe(10);
    expect(zonalFeatureCount(10, 2)).toBe(55 + 1);
    expect(zonalFeatureCount(10, 4)).toBe(715 + 55 + 1);
    expect(zonalFeatureCount(3, 3)).toBe(10 + 3);
  });

  it('Φ W Φᵀ equals the zonal kernel P_k(<x_i, x_j>) pair by pair (gegenbauer), and the U-statistic by features equals the one by the kernel', async () => {
    const { harmonicEnergiesOffDiagonal, harmonicEnergiesOffDiagonalByFeatures, zonalFeatures } =
      await import('../../src/math/eigenspace.js');
    const n = 30;
    const rows = 4;
    for (const dim of [3, 10]) {
      const rng = new Prng(71 + dim, 'test/zonal-features');
      const x = sampleSphere(rng, n, dim);
      const r = rng.normals(rows * n, 1);
      for (const k of [0, 1, 2, 3, 4]) {
        const z = zonalFeatures(x, n, dim, k);
        // The kernel pair by pair, straight from gegenbauer (independent of zonalKernel's matrix).
        const kernel = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let t = 0;
            for (let d = 0; d < dim; d++) t += x[i * dim + d]! * x[j * dim + d]!;
            kernel[i * n + j] = i === j ? 1 : gegenbauer(dim, k, t);
            let v = 0;
            for (let f = 0; f < z.count; f++) v += z.weights[f]! * z.features[i * z.count + f]! * z.features[j * z.count + f]!;
            expect(Math.abs(v - (i === j ? gegenbauer(dim, k, 1) : kernel[i * n + j]!))).toBeLessThan(1e-12);
          }
        }
        const dense = harmonicEnergiesOffDiagonal(r, rows, kernel, n, dim, k);
        const byFeatures = harmonicEnergiesOffDiagonalByFeatures(r, rows, z, n, dim, k);
        const scale = multiplicity(dim, k) / n; // the size of the diagonal each form subtracts
        for (let t = 0; t < rows; t++) expect(Math.abs(byFeatures[t]! - dense[t]!)).toBeLessThan(1e-13 * scale);
      }
    }
  });
});

describe('zonalKernel', () => {
  it('is gegenbauer of each pair inner product (summed here point by point), 1 on the diagonal, exactly symmetric', async () => {
    const { zonalKernel } = await import('../../src/math/eigenspace.js');
    for (const dim of [2, 3, 10]) {
      const n = 23;
      const x = sampleSphere(new Prng(80 + dim, 'test/zonal-kernel'), n, dim);
      for (const k of [0, 1, 2, 4, 7]) {
        const z = zonalKernel(x, n, dim, k);
        for (let i = 0; i < n; i++) {
          expect(z[i * n + i]).toBe(1);
          for (let j = 0; j < n; j++) {
            if (i === j) continue;
            let t = 0;
            for (let d = 0; d < dim; d++) t += x[i * dim + d]! * x[j * dim + d]!;
            expect(Math.abs(z[i * n + j]! - gegenbauer(dim, k, t))).toBeLessThan(1e-13);
            expect(z[i * n + j]).toBe(z[j * n + i]);
          }
        }
      }
    }
  });
});
