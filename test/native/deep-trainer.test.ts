/** The addon's DeepTrainer (native/src/addon.cc, deep_kernel.h): its argument checks and weight layout. */
import { describe, expect, it } from 'vitest';
import { C_SIGMA } from '../../src/math/ntk-family.js';
import { deepParamCount, flattenDeepWeights, initDeepWeights, unflattenDeepWeights } from '../../src/model/reference-deep.js';
import { loadNative, type NativeDeepTrainerOptions } from '../../src/native/index.js';

const addon = loadNative();
const describeNative = addon?.DeepTrainer ? describe : describe.skip;

function options(over: Partial<NativeDeepTrainerOptions> = {}): NativeDeepTrainerOptions {
  const model = { depth: 3, bias: 0.5, activation: 'relu' as const };
  const w = initDeepWeights(0, model, 8, 3);
  return {
    xTrain: new Float64Array(4 * 3).fill(0.5),
    yTrain: new Float64Array(4),
    nTrain: 4,
    xTest: new Float64Array(0),
    yTest: new Float64Array(0),
    nTest: 0,
    dim: 3,
    width: 8,
    ...model,
    cSigma: C_SIGMA.relu,
    theta: 1,
    learningRate: 0.1,
    weights: flattenDeepWeights(w),
    threads: 1,
    ...over,
  };
}

describeNative('DeepTrainer', () => {
  it('holds the weights in the layout of flattenDeepWeights (A_1, b_1, ..., A_L, b_L) and hands them back unchanged', () => {
    const o = options();
    expect(o.weights.length).toBe(deepParamCount(3, 8, 3));
    const t = new addon!.DeepTrainer!(o);
    try {
      const back = t.weights();
      expect(Buffer.from(back.buffer).equals(Buffer.from(o.weights.buffer))).toBe(true);
      const w = unflattenDeepWeights({ depth: 3, bias: 0.5, activation: 'relu' }, 8, 3, back);
      expect(w.a.map((a) => a.length)).toEqual([24, 64, 8]);
      expect(t.optimizerState().length).toBe(0);
    } finally {
      t.close();
    }
  });

  it('refuses bad options with one line naming the field', () => {
    const make = (over: Partial<NativeDeepTrainerOptions>) => () => new addon!.DeepTrainer!(options(over));
    expect(make({ activation: 'sigmoid' as 'relu' })).toThrow(/^activation must be/);
    expect(make({ weights: new Float64Array(5) })).toThrow(/^weights must have \d+ entries, got 5/);
    expect(make({ bias: -1 })).toThrow(/^bias must be/);
    expect(make({ depth: 1 })).toThrow(/^depth must be an integer >= 2/);
    expect(make({ optimizer: 'adam' as 'gd' })).toThrow(/^optimizer must be 'gd' or 'sgd'/);
  });
});
