/**
 * The analysis steps for a member of the model family (depth, bias, activation): the cache keys
 * (the paper's unchanged), the spectrum step's mu_k, Gram and degree clusters, the theory rates,
 * and both twins of the projector, each against an independent reference.
 */
import { describe, expect, it } from 'vitest';
import {
  familyCross,
  familyGram,
  familySpectrum,
  isPaperModel,
  ntkSpectrum,
  Prng,
  sampleSphere,
  symmetricEigen,
  type ModelFamily,
} from '../../src/math/index.js';
import { initDeepWeights } from '../../src/model/reference-deep.js';
import { referenceBlocks } from '../math/deep-ntk-blocks.js';
import { ntkCheckKey, projectKey, spectrumKey, STEPS, trainKey, NTK_CHECK_POINTS } from '../../src/pipeline/cache-keys.js';
import { initialWeights } from '../../src/pipeline/initial-weights.js';
import { projectionsTable } from '../../src/pipeline/projector.js';
import { finiteWidthTwinResiduals } from '../../src/pipeline/twins.js';
import type { Samples } from '../../src/pipeline/samples.js';
import { gramEigen, leadingDegreesSize, modelSpectrum, spectrumTable } from '../../src/pipeline/spectrum.js';
import { parseSpec, SpecError, type PipelineSpec } from '../../src/spec/schema.js';
import type { ArtifactRef } from '../../src/store/artifact-store.js';
import { contentKey } from '../../src/store/canonical-json.js';
import { withTheoryRates } from '../../src/store/spectrum-table.js';
import { readFloat64 } from '../../src/store/arrow-columns.js';
import { multiplicity } from '../../src/math/gegenbauer.js';

const family = (depth: number, bias: number, activation: ModelFamily['activation']): ModelFamily => ({ depth, bias, activation });
const ref = (c: string): ArtifactRef => ({ path: `artifacts/x/${c}/f.arrow`, sha256: c.repeat(64), rows: 1 });
const samples = ref('a');
const inputs = { samples, trajectory: ref('c'), gram: ref('d'), vectors: ref('e') };
const paper = parseSpec({ data: { dim: 5, n: 40, nTest: 10 } });
/** Cluster label per eigenvalue -> the eigenvalue indices of each cluster, in order of first appearance (as readGram). */
function readGramClusters(cluster: Int32Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  cluster.forEach((c, j) => {
    if (c < 0) return;
    if (!out.has(c)) out.set(c, []);
    out.get(c)!.push(j);
  });
  return out;
}

/**
 * A spec with the model's fields set on the parsed object: parseSpec drops explicit paper values,
 * which the keys must treat alike anyway, and refuses symmetric init for the family, which the
 * steps refuse again.
 */
const withModel = (model: Partial<ModelFamily>, over: Partial<PipelineSpec['model']> = {}): PipelineSpec => ({
  ...paper,
  model: { ...paper.model, ...model, ...over } as PipelineSpec['model'],
});

describe('cache keys of the model family', () => {
  it("the paper's network keeps the keys it had before the family (same params, recomputed here)", () => {
    const { dim } = paper.data;
    const { maxDegree, gram } = paper.spectrum;
    expect(spectrumKey(paper, samples)).toBe(
      contentKey({ step: STEPS.spectrum, params: { dim, maxDegree, gram }, inputs: [samples.sha256] }),
    );
    expect(ntkCheckKey(paper, samples)).toBe(
      contentKey({
        step: STEPS.ntkCheck,
        params: { seed: paper.seed, width: paper.model.width, points: NTK_CHECK_POINTS },
        inputs: [samples.sha256],
      }),
    );
    const init = { seed: paper.seed, width: paper.model.width, init: 'gaussian' };
    expect(projectKey(paper, inputs)).toBe(
      contentKey({
        step: STEPS.project,
        params: { learningRate: paper.training.learningRate, twins: ['infinite', 'init'], ...init },
        inputs: [samples.sha256, 'c'.repeat(64), 'd'.repeat(64), 'e'.repeat(64)],
      }),
    );
    // The paper's values written out are the paper's network.
    const explicit = withModel({ depth: 2, bias: 0, activation: 'relu' });
    expect(spectrumKey(explicit, samples)).toBe(spectrumKey(paper, samples));
    expect(ntkCheckKey(explicit, samples)).toBe(ntkCheckKey(paper, samples));
    expect(projectKey(explicit, inputs)).toBe(projectKey(paper, inputs));
  });

  it('depth, bias and activation each reach the spectrum, the NTK check, the projections and training', () => {
    const keys = (s: PipelineSpec) => [
      spectrumKey(s, samples),
      ntkCheckKey(s, samples),
      projectKey(s, inputs),
      trainKey(s, samples, 'native'),
    ];
    const base = keys(paper);
    const seen = new Set(base);
    for (const s of [
      withModel({ depth: 3 }),
      withModel({ bias: 0.5 }),
      withModel({ activation: 'erf' }),
      withModel({ depth: 3, bias: 0.5 }),
    ]) {
      const k = keys(s);
      k.forEach((key, i) => expect(key, `key ${i}`).not.toBe(base[i]));
      for (const key of k) seen.add(key);
    }
    expect(seen.size).toBe(4 * 5);
    // The projections depend on the kernel even with the infinite-width twin alone.
    const infinite = { analysis: { twins: ['infinite' as const] } };
    expect(projectKey({ ...withModel({ depth: 3 }), ...infinite }, inputs)).not.toBe(projectKey({ ...paper, ...infinite }, inputs));
  });
});

describe('the spectrum step of a family model', () => {
  it("spectrum.arrow holds familySpectrum's mu_k and numerical zeros; the paper's network ntkSpectrum's, bit for bit", () => {
    const model = family(3, 0, 'relu');
    const table = spectrumTable(10, 6, model);
    const want = familySpectrum(10, 6, model);
    expect(Array.from(readFloat64(table, 'mu'))).toEqual(want.map((e) => e.mu));
    expect(Array.from(table.getChild('numerical_zero')!)).toEqual(want.map((e) => e.numericalZero));
    // Depth alone breaks the paper's odd zeros: mu_3, mu_5 > 0 and resolved (docs/science.md).
    expect(want[3]!.mu).toBeGreaterThan(1e-4);
    expect(want[3]!.numericalZero).toBe(false);
    const paperTable = spectrumTable(10, 6);
    expect(Array.from(readFloat64(paperTable, 'mu'))).toEqual(ntkSpectrum(10, 6).map((e) => e.mu));
  });

  it('theory rates follow the actual mu_k: odd degrees get one at L = 3, none where mu_k is a numerical zero', () => {
    const lr = 2;
    const rates = (model: ModelFamily | undefined) => readFloat64(withTheoryRates(spectrumTable(10, 6, model), lr), 'theory_rate');
    const deep = rates(family(3, 0, 'relu'));
    const mu = familySpectrum(10, 6, family(3, 0, 'relu'));
    for (const k of [1, 2, 3, 5]) expect(deep[k]).toBeCloseTo(-Math.log(1 - lr * mu[k]!.mu), 15);
    const flat = rates(undefined);
    for (const k of [3, 5]) expect(Number.isNaN(flat[k]!)).toBe(true);
    expect(flat[1]).toBeCloseTo(-Math.log(1 - lr * 0.075), 15);
    // erf without bias: kappa is odd, every even mu_k (mu_0 included) is a zero, with no theory rate.
    const odd = rates(family(2, 0, 'erf'));
    for (const k of [0, 2, 4, 6]) expect(Number.isNaN(odd[k]!)).toBe(true);
    for (const k of [1, 3, 5]) expect(odd[k]).toBeGreaterThan(0);
  });

  it("the Gram is the model's kernel: K/n on uniform points clusters near its mu_k with multiplicity N(D,k), in the order of its mu_k", async () => {
    const dim = 5;
    const n = 400;
    const x = sampleSphere(new Prng(1, 'test/family/gram'), n, dim);
    for (const model of [family(3, 0.5, 'relu'), family(3, 0, 'erf')]) {
      const mu = familySpectrum(dim, 4, model);
      const eigen = await gramEigen(x, n, dim, 4, true, false, model);
      const { values } = symmetricEigen(
        familyGram(model, x, n, dim).map((v) => v / n),
        n,
      );
      expect(Array.from(eigen.values)).toEqual(Array.from(values));
      const clusters = readGramClusters(eigen.cluster);
      const order = modelSpectrum(dim, 4, model)
        .filter((e) => !e.numericalZero)
        .sort((a, b) => b.mu - a.mu)
        .map((e) => e.degree);
      // Clusters come in the order of the model's mu_k, sizes N(D,k); erf without bias has no degree 0 or 2.
      expect([...clusters.keys()]).toEqual(order.slice(0, clusters.size));
      if (model.activation === 'erf') expect(order.slice(0, 2)).toEqual([1, 3]);
      for (const degree of order.slice(0, 2)) {
        const members = clusters.get(degree)!;
        expect(members).toHaveLength(multiplicity(dim, degree));
        const mean = members.reduce((s, j) => s + eigen.values[j]!, 0) / members.length;
        expect(Math.abs(mean / mu[degree]!.mu - 1)).toBeLessThan(0.06);
      }
    }
  });

  it("the non-uniform clustering looks at the model's three leading degrees", () => {
    expect(leadingDegreesSize(10, 6)).toBe(1 + 10 + 54);
    expect(leadingDegreesSize(10, 6, family(2, 0, 'erf'))).toBe(10 + multiplicity(10, 3) + multiplicity(10, 5));
  });
});

describe('the twins of a family model', () => {
  const dim = 4;
  const n = 24;
  const nTest = 8;
  const m = 12;
  const lr = 0.5;
  const steps = [0, 3, 10];
  const xTrain = sampleSphere(new Prng(2, 'test/family/train'), n, dim);
  const xTest = sampleSphere(new Prng(2, 'test/family/test'), nTest, dim);
  const part = (name: string, count: number) => new Prng(2, name).normals(count);
  const s: Samples = {
    dim,
    n,
    nTest,
    xTrain,
    yTrain: new Float64Array(n),
    xTest,
    yTest: new Float64Array(nTest),
    degrees: [1, 2],
    distribution: { kind: 'uniform' },
    parts: new Map([
      [1, { train: part('test/p1', n), test: part('test/p1t', nTest) }],
      [2, { train: part('test/p2', n), test: part('test/p2t', nTest) }],
    ]),
  };
  const r0 = part('test/r0', n);
  const r0Test = part('test/r0t', nTest);
  const network = {
    steps,
    train: Float64Array.from({ length: steps.length * n }, (_, i) => (i < n ? r0[i]! : 0.1)),
    test: Float64Array.from({ length: steps.length * nTest }, (_, i) => (i < nTest ? r0Test[i]! : 0.1)),
  };

  /** r_(t+1) = r_t - (lr/n) G r_t on train, r_(t+1)^test = r_t^test - (lr/n) G_(test,train) r_t: the linearized GD, step by step. */
  function linearized(gram: Float64Array, cross: Float64Array, t: number): { train: Float64Array; test: Float64Array } {
    let r = Float64Array.from(r0);
    const rt = Float64Array.from(r0Test);
    for (let step = 0; step < t; step++) {
      const next = Float64Array.from(r);
      for (let a = 0; a < nTest; a++) {
        let g = 0;
        for (let j = 0; j < n; j++) g += cross[a * n + j]! * r[j]!;
        rt[a]! -= (lr / n) * g;
      }
      for (let i = 0; i < n; i++) {
        let g = 0;
        for (let j = 0; j < n; j++) g += gram[i * n + j]! * r[j]!;
        next[i]! -= (lr / n) * g;
      }
      r = next;
    }
    return { train: r, test: rt };
  }

  const unitDot = (v: Float64Array, r: Float64Array) => {
    let vv = 0;
    let vr = 0;
    for (let i = 0; i < v.length; i++) {
      vv += v[i]! * v[i]!;
      vr += v[i]! * r[i]!;
    }
    return Math.abs(vr) / Math.sqrt(vv);
  };

  for (const model of [family(3, 0.5, 'relu'), family(3, 0.5, 'tanh')]) {
    it(`both twins equal the linearized GD on the model's own kernels: L = ${model.depth}, beta = ${model.bias}, ${model.activation}`, async () => {
      const w = initDeepWeights(9, model, m, dim);
      const eigen = await gramEigen(xTrain, n, dim, 2, true, false, model);
      const table = await projectionsTable(
        s,
        network,
        { values: eigen.values, vectors: eigen.vectors, clusters: readGramClusters(eigen.cluster), basis: 'degree' },
        { learningRate: lr, infinite: true, init: await finiteWidthTwinResiduals(s, network, w, lr), model },
      );
      // References: the backpropagation NTK on the stacked points, and the analytic kernel pair by pair.
      const { gram: thetaTrain, cross: thetaCross } = referenceBlocks(w, xTrain, n, xTest, nTest, dim);
      const references = {
        init: (t: number) => linearized(thetaTrain, thetaCross, t),
        kernel: (t: number) => linearized(familyGram(model, xTrain, n, dim), familyCross(model, xTest, nTest, xTrain, n, dim), t),
      };
      const rows = table.toArray() as { split: string; step: number; degree: number; kind: string; source: string; value: number }[];
      let checked = 0;
      for (const row of rows) {
        if (row.kind !== 'target' || row.source === 'network') continue;
        const r = references[row.source as 'init' | 'kernel'](row.step)[row.split as 'train' | 'test'];
        const want = unitDot(s.parts.get(row.degree)![row.split as 'train' | 'test'], r);
        expect(Math.abs(row.value - want), `${row.source} ${row.split} k=${row.degree} t=${row.step}`).toBeLessThan(
          1e-10 * Math.max(1, want),
        );
        checked++;
      }
      expect(checked).toBe(2 * 2 * 2 * steps.length);
    });
  }

  it("initial weights: the paper's network keeps initWeights; a family member gets initDeepWeights; symmetric is refused for it", () => {
    const w = initialWeights(withModel({ depth: 3, bias: 0.5 }, { width: 16 }), dim);
    expect('a' in w && Array.from(w.a[1]!)).toEqual(Array.from(initDeepWeights(paper.seed, family(3, 0.5, 'relu'), 16, dim).a[1]!));
    expect('w1' in initialWeights(paper, dim)).toBe(true);
    expect(isPaperModel(family(2, 0, 'relu'))).toBe(true);
    expect(() => initialWeights(withModel({ depth: 3 }, { init: 'symmetric', width: 8 }), dim)).toThrow(SpecError);
  });
});
