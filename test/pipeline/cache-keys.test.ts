import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/schema.js';
import { initTwinKey, ntkCheckKey, projectKey, sampleKey, spectrumKey, trainKey } from '../../src/pipeline/cache-keys.js';
import type { ArtifactRef } from '../../src/store/artifact-store.js';

const ref = (c: string): ArtifactRef => ({ path: `artifacts/x/${c}/f.arrow`, sha256: c.repeat(64), rows: 1 });
const samples = ref('a');
const spec = (over: Record<string, unknown> = {}) => parseSpec({ data: { dim: 5, n: 40, nTest: 10 }, ...over });
const withRate = (learningRate: number, engine = 'auto') => spec({ training: { learningRate, engine } });

describe('cache keys', () => {
  it('the spectrum does not depend on the learning rate, the name or the training', () => {
    const k = spectrumKey(withRate(1), samples);
    expect(spectrumKey(withRate(3), samples)).toBe(k);
    expect(spectrumKey(spec({ name: 'other', training: { steps: 7, logEvery: 1 } }), samples)).toBe(k);
    expect(spectrumKey(spec({ data: { dim: 6, n: 40, nTest: 10 } }), samples)).not.toBe(k);
    expect(spectrumKey(spec({ spectrum: { maxDegree: 6 } }), samples)).not.toBe(k);
    expect(spectrumKey(withRate(1), ref('b'))).not.toBe(k);
    // Without the Gram matrix only D and maxDegree matter, not the points.
    const noGram = spec({ spectrum: { gram: false } });
    expect(spectrumKey(noGram, ref('b'))).toBe(spectrumKey(noGram, samples));
  });

  it('training is keyed on the engine that runs, not the one requested', () => {
    expect(trainKey(withRate(1, 'auto'), samples, 'native/avx2')).toBe(trainKey(withRate(1, 'native'), samples, 'native/avx2'));
    expect(trainKey(withRate(1, 'auto'), samples, 'native/avx2')).not.toBe(trainKey(withRate(1, 'auto'), samples, 'tfjs-wasm'));
    expect(trainKey(withRate(1, 'auto'), samples, 'native/avx2')).not.toBe(trainKey(withRate(1, 'auto'), samples, 'native/baseline'));
    expect(trainKey(withRate(1), samples, 'tfjs-cpu')).not.toBe(trainKey(withRate(2), samples, 'tfjs-cpu'));
  });

  it('the learning rate reaches the projections (the kernel twin) but not the samples or the NTK check', () => {
    const inputs = { samples, trajectory: ref('c'), gram: ref('d'), vectors: ref('e') };
    expect(projectKey(withRate(1), inputs)).not.toBe(projectKey(withRate(2), inputs));
    expect(sampleKey(withRate(1))).toBe(sampleKey(withRate(2)));
    expect(ntkCheckKey(withRate(1), samples)).toBe(ntkCheckKey(withRate(2), samples));
    expect(ntkCheckKey(spec({ model: { init: 'symmetric' } }), samples)).not.toBe(ntkCheckKey(spec(), samples));
  });

  it('the initial weights reach the projections only with the finite-width twin', () => {
    const inputs = { samples, trajectory: ref('c'), gram: ref('d'), vectors: ref('e') };
    const infinite = { analysis: { twins: ['infinite'] } };
    expect(projectKey(spec({ seed: 1 }), inputs)).not.toBe(projectKey(spec({ seed: 2 }), inputs));
    expect(projectKey(spec({ seed: 1, ...infinite }), inputs)).toBe(projectKey(spec({ seed: 2, ...infinite }), inputs));
    expect(projectKey(spec(infinite), inputs)).not.toBe(projectKey(spec(), inputs));
    // Absent twins mean both.
    expect(projectKey(spec({ analysis: { twins: ['infinite', 'init'] } }), inputs)).toBe(projectKey(spec(), inputs));
  });

  it("the finite-width twin's trajectory: the network's trajectory, the samples, the initial weights and the learning rate", () => {
    const inputs = { samples, trajectory: ref('c') };
    const k = initTwinKey(spec(), inputs);
    expect(initTwinKey(spec({ name: 'other', analysis: { twins: ['init'] } }), inputs)).toBe(k);
    expect(initTwinKey(spec(), { samples, trajectory: ref('f') })).not.toBe(k);
    expect(initTwinKey(spec(), { samples: ref('b'), trajectory: ref('c') })).not.toBe(k);
    expect(initTwinKey(withRate(3), inputs)).not.toBe(k);
    expect(initTwinKey(spec({ seed: 5 }), inputs)).not.toBe(k);
    expect(initTwinKey(spec({ model: { width: 128 } }), inputs)).not.toBe(k);
    expect(initTwinKey(spec({ model: { init: 'symmetric' } }), inputs)).not.toBe(k);
    expect(initTwinKey(spec({ model: { depth: 3 } }), inputs)).not.toBe(k);
  });
});
