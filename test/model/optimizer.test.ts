import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  forwardReference,
  gdStepReference,
  initWeights,
  trainNative,
  trainNetwork,
  TrainingDivergedError,
  type ModelWeights,
  type NativeEngineOptions,
  type NetworkWeights,
  type TrainInput,
  type TrainLog,
  type TrainResult,
} from '../../src/model/index.js';
import { adamStepSize, batchesPerEpoch, batchIndices, epochPermutation } from '../../src/model/optimizer.js';
import { loadNative } from '../../src/native/index.js';
import { trainingProblem } from './fixtures.js';

const addon = loadNative();
const describeNative = addon ? describe : describe.skip;

async function collect(input: TrainInput, opts: NativeEngineOptions = {}): Promise<{ logs: TrainLog[]; result: TrainResult }> {
  const logs: TrainLog[] = [];
  const result = await trainNative(input, { onLog: (l) => void logs.push(l) }, addon!, opts);
  return { logs, result };
}

type Collected = { logs: TrainLog[]; result: TrainResult };

/** A run resumed at step `from` against the uninterrupted one: every logged residual, the weights and the optimizer state, bit for bit. */
function expectResumedBits(rest: Collected, whole: Collected, from: number): void {
  for (const log of rest.logs) expect(sameBits(log.residualTrain, whole.logs[from + log.step]!.residualTrain)).toBe(true);
  expect(sameBits(rest.result.final.w1, whole.result.final.w1)).toBe(true);
  expect(sameBits(rest.result.final.w2, whole.result.final.w2)).toBe(true);
  expect(sameBits(rest.result.optimizerState, whole.result.optimizerState)).toBe(true);
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && bytes(a).equals(bytes(b));
const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** The rows `idx` of x (n x d) and y. */
function rows(input: TrainInput, idx: Int32Array): { x: Float64Array; y: Float64Array } {
  const d = input.dim;
  const x = new Float64Array(idx.length * d);
  const y = new Float64Array(idx.length);
  idx.forEach((i, k) => {
    x.set(input.xTrain.subarray(i * d, (i + 1) * d), k * d);
    y[k] = input.yTrain[i]!;
  });
  return { x, y };
}

/** The mini-batch GD step of eta' on batch idx: GD on the batch's points alone (its mean loss). */
function sgdStepRef(w: NetworkWeights, input: TrainInput, idx: Int32Array, lr = input.learningRate): NetworkWeights {
  const { x, y } = rows(input, idx);
  return gdStepReference(w, input.theta, lr, x, y, idx.length);
}

/** The loss gradient on batch idx in float64: a GD step with eta = 1 is W - grad. */
function gradRef(w: NetworkWeights, input: TrainInput, idx: Int32Array): { g1: Float64Array; g2: Float64Array } {
  const unit = w.width * input.theta * input.theta; // eta' with eta = eta' / (m theta^2) = 1
  const next = sgdStepRef(w, input, idx, unit);
  return { g1: w.w1.map((v, i) => v - next.w1[i]!), g2: w.w2.map((v, i) => v - next.w2[i]!) };
}

/** `steps` heavy-ball steps in float64 from the initial weights (mu = 0: plain sgd): u <- mu u + (step), W <- W + u. */
function sgdRun(input: TrainInput, B: number, mu: number, steps: number): { w: NetworkWeights; u1: Float64Array; u2: Float64Array } {
  const idx = batchIndices(input.seed, input.nTrain, B, 0, steps);
  let w = initWeights(input.seed, input.width, input.dim);
  let u1 = new Float64Array(w.w1.length);
  let u2 = new Float64Array(w.w2.length);
  for (let s = 0; s < steps; s++) {
    const cur = w;
    const step = sgdStepRef(cur, input, idx.subarray(s * B, (s + 1) * B));
    u1 = u1.map((u, i) => mu * u + (step.w1[i]! - cur.w1[i]!));
    u2 = u2.map((u, i) => mu * u + (step.w2[i]! - cur.w2[i]!));
    w = { ...cur, w1: cur.w1.map((v, i) => v + u1[i]!), w2: cur.w2.map((v, i) => v + u2[i]!) };
  }
  return { w, u1, u2 };
}

/** `steps` Adam steps in float64 from the initial weights: bias-corrected moments, lr = eta' / (m theta); m, v over (W1, W2). */
function adamRun(
  input: TrainInput,
  B: number,
  [b1, b2, eps]: [number, number, number],
  steps: number,
): { w: NetworkWeights; m: Float64Array; v: Float64Array } {
  const lr = adamStepSize(input.learningRate, input.width, input.theta);
  const idx = batchIndices(input.seed, input.nTrain, B, 0, steps);
  let w = initWeights(input.seed, input.width, input.dim);
  const len = w.w1.length + w.w2.length;
  const m = new Float64Array(len);
  const v = new Float64Array(len);
  for (let t = 1; t <= steps; t++) {
    const { g1, g2 } = gradRef(w, input, idx.subarray((t - 1) * B, t * B));
    const g = new Float64Array(len);
    g.set(g1, 0);
    g.set(g2, g1.length);
    const flat = new Float64Array(len);
    flat.set(w.w1, 0);
    flat.set(w.w2, w.w1.length);
    for (let i = 0; i < len; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      flat[i]! -= (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps);
    }
    w = { ...w, w1: flat.slice(0, w.w1.length), w2: flat.slice(w.w1.length) };
  }
  return { w, m, v };
}

describe('mini-batch schedule', () => {
  it('cuts each epoch of a seeded permutation into floor(n / B) batches, without replacement', () => {
    const n = 23;
    const B = 5;
    expect(batchesPerEpoch(n, B)).toBe(4);
    const two = batchIndices(7, n, B, 0, 8); // two epochs
    for (const e of [0, 1]) {
      const epoch = Array.from(two.subarray(e * 4 * B, (e + 1) * 4 * B));
      expect(new Set(epoch).size).toBe(4 * B); // no point twice within an epoch
      expect(epoch).toEqual(Array.from(epochPermutation(7, n, e).subarray(0, 4 * B)));
    }
    expect(Array.from(epochPermutation(7, n, 0)).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Array.from(two.subarray(0, 20))).not.toEqual(Array.from(two.subarray(20, 40))); // epochs differ
    expect(sameBits(Float64Array.from(batchIndices(7, n, B, 0, 8)), Float64Array.from(two))).toBe(true); // seeded
    expect(Array.from(batchIndices(8, n, B, 0, 8))).not.toEqual(Array.from(two));
    // A window of the schedule is the same steps of the whole one (resume needs only the step).
    expect(Array.from(batchIndices(7, n, B, 3, 4))).toEqual(Array.from(two.subarray(3 * B, 7 * B)));
  });
});

describeNative('sgd and adam on the native engine', () => {
  const base = () =>
    trainingProblem('native', { nTrain: 40, nTest: 9, dim: 6, width: 100, theta: 1.1, learningRate: 1.3, steps: 6, logEvery: 1 });

  it('sgd with batchSize = n is gd bit for bit', async () => {
    const input = base();
    const gd = await collect(input);
    const sgd = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: input.nTrain } });
    expect(sgd.logs.length).toBe(gd.logs.length);
    gd.logs.forEach((l, i) => expect(sameBits(sgd.logs[i]!.residualTrain, l.residualTrain)).toBe(true));
    expect(sameBits(sgd.result.final.w1, gd.result.final.w1)).toBe(true);
    expect(sameBits(sgd.result.final.w2, gd.result.final.w2)).toBe(true);
  });

  it('sgd steps follow the float64 mini-batch reference (plain and heavy ball)', async () => {
    const input = { ...base(), steps: 3 };
    const B = 8;
    const plainRef = sgdRun(input, B, 0, 3);
    const plain = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: B } }, { precision: 'f64' });
    expect(maxDiff(plain.result.final.w1, plainRef.w.w1)).toBeLessThan(1e-12);
    expect(maxDiff(plain.result.final.w2, plainRef.w.w2)).toBeLessThan(1e-12);
    const mu = 0.7;
    const ref = sgdRun(input, B, mu, 3);
    const hb = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: B, momentum: mu } }, { precision: 'f64' });
    expect(maxDiff(hb.result.final.w1, ref.w.w1)).toBeLessThan(1e-12);
    expect(maxDiff(hb.result.final.w2, ref.w.w2)).toBeLessThan(1e-12);
    expect(maxDiff(hb.result.final.w1, plainRef.w.w1)).toBeGreaterThan(1e-6); // momentum did something
    expect(maxDiff(hb.result.optimizerState.subarray(0, ref.u1.length), ref.u1)).toBeLessThan(1e-12); // the velocity
  });

  it("adam steps follow the float64 reference: bias-corrected moments, lr = eta' / (m theta)", async () => {
    const input = { ...base(), steps: 3 };
    const B = 10;
    const [b1, b2, eps] = [0.8, 0.95, 1e-6];
    expect(adamStepSize(input.learningRate, input.width, input.theta)).toBeCloseTo(1.3 / (100 * 1.1), 15);
    const ref = adamRun(input, B, [b1, b2, eps], 3);
    const got = await collect(
      { ...input, optimization: { optimizer: 'adam', batchSize: B, beta1: b1, beta2: b2, eps } },
      { precision: 'f64' },
    );
    expect(maxDiff(got.result.final.w1, ref.w.w1)).toBeLessThan(1e-10);
    expect(maxDiff(got.result.final.w2, ref.w.w2)).toBeLessThan(1e-10);
    expect(maxDiff(got.result.optimizerState.subarray(0, ref.m.length), ref.m)).toBeLessThan(1e-10);
  });

  for (const optimization of [
    { optimizer: 'sgd', batchSize: 7, momentum: 0.5 },
    { optimizer: 'adam', batchSize: 12 },
  ] as const) {
    it(`${optimization.optimizer}: resumes bit for bit from weights + optimizer state, and ignores the thread count`, async () => {
      const input = { ...base(), width: 300, steps: 20, optimization };
      const whole = await collect(input, { threads: 2 });
      const one = await collect(input, { threads: 1 });
      expect(sameBits(one.result.final.w1, whole.result.final.w1)).toBe(true);
      const first = await collect({ ...input, steps: 12 }, { threads: 2 });
      expect(first.result.optimizerState.length).toBe(optimization.optimizer === 'adam' ? 2 * 300 * 7 : 300 * 7);
      const rest = await collect(
        { ...input, steps: 8, firstStep: 12, initial: first.result.final, optimizerState: first.result.optimizerState },
        { threads: 1 },
      );
      expectResumedBits(rest, whole, 12);
      // Without the state, Adam and heavy ball restart their moments: a different run.
      const cold = await collect({ ...input, steps: 8, firstStep: 12, initial: first.result.final });
      expect(sameBits(cold.result.final.w1, whole.result.final.w1)).toBe(false);
    });
  }
});

/** Training on a tfjs engine through trainNetwork (the path the pipeline takes). */
async function collectTfjs(input: TrainInput): Promise<{ logs: TrainLog[]; result: TrainResult }> {
  const logs: TrainLog[] = [];
  const result = await trainNetwork(input, { onLog: (l) => void logs.push(l) });
  return { logs, result };
}

/** max |got - want| over max |want|: float32 arithmetic is ~1e-7 of the scale, a wrong step is O(1). */
const relDiff = (got: Float64Array, want: Float64Array) => {
  expect(got.length).toBe(want.length);
  return maxDiff(got, want) / want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
};
const concat = (a: Float64Array, b: Float64Array) => {
  const out = new Float64Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

describe('sgd and adam on the tfjs engines', () => {
  const base = (over: Partial<TrainInput> = {}) =>
    trainingProblem('tfjs-cpu', {
      nTrain: 40,
      nTest: 9,
      dim: 6,
      width: 100,
      theta: 1.1,
      learningRate: 1.3,
      steps: 6,
      logEvery: 1,
      ...over,
    });
  const TOL = 2e-6; // about 10x the float32 error seen here (1e-7 to 2.5e-7)

  it.each(['tfjs-cpu', 'tfjs-wasm'] as const)('%s: sgd with batchSize = n is gd bit for bit', async (engine) => {
    const input = base({ engine });
    const gd = await collectTfjs(input);
    const sgd = await collectTfjs({ ...input, optimization: { optimizer: 'sgd', batchSize: input.nTrain } });
    expect(sgd.result.engine).toBe(engine);
    expect(sgd.logs.length).toBe(7);
    gd.logs.forEach((l, i) => expect(sameBits(sgd.logs[i]!.residualTrain, l.residualTrain)).toBe(true));
    expect(sameBits(sgd.result.final.w1, gd.result.final.w1)).toBe(true);
    expect(sameBits(sgd.result.final.w2, gd.result.final.w2)).toBe(true);
    expect(sgd.result.optimizerState.length).toBe(0);
    expect(sgd.result.backend).toBe(`${gd.result.backend}, sgd batch 40`);
  });

  it('sgd steps follow the float64 mini-batch reference to float32 precision (plain and heavy ball)', async () => {
    const input = base({ steps: 5 });
    const B = 8;
    const plainRef = sgdRun(input, B, 0, 5);
    const plain = await collectTfjs({ ...input, optimization: { optimizer: 'sgd', batchSize: B } });
    expect(relDiff(plain.result.final.w1, plainRef.w.w1)).toBeLessThan(TOL);
    expect(relDiff(plain.result.final.w2, plainRef.w.w2)).toBeLessThan(TOL);
    const mu = 0.7;
    const ref = sgdRun(input, B, mu, 5);
    expect(relDiff(ref.w.w2, plainRef.w.w2)).toBeGreaterThan(100 * TOL); // momentum matters at this size
    const hb = await collectTfjs({ ...input, optimization: { optimizer: 'sgd', batchSize: B, momentum: mu } });
    expect(relDiff(hb.result.final.w1, ref.w.w1)).toBeLessThan(TOL);
    expect(relDiff(hb.result.final.w2, ref.w.w2)).toBeLessThan(TOL);
    // The velocity, in the native layout: u of W1 (m x D), then of W2.
    expect(relDiff(hb.result.optimizerState, concat(ref.u1, ref.u2))).toBeLessThan(TOL);
    // The logged residuals are the reference's at each step.
    const last = hb.logs.at(-1)!;
    const yHat = forwardReference(ref.w, input.theta, input.xTrain, input.nTrain);
    expect(
      relDiff(
        last.residualTrain,
        input.yTrain.map((y, i) => y - yHat[i]!),
      ),
    ).toBeLessThan(TOL);
  });

  it("adam steps follow the float64 reference to float32 precision: bias-corrected moments, lr = eta' / (m theta)", async () => {
    const input = base({ steps: 5 });
    const B = 10;
    const settings: [number, number, number] = [0.8, 0.95, 1e-6];
    const ref = adamRun(input, B, settings, 5);
    const [beta1, beta2, eps] = settings;
    const got = await collectTfjs({ ...input, optimization: { optimizer: 'adam', batchSize: B, beta1, beta2, eps } });
    expect(relDiff(got.result.final.w1, ref.w.w1)).toBeLessThan(TOL);
    expect(relDiff(got.result.final.w2, ref.w.w2)).toBeLessThan(TOL);
    // m then v, each over (W1, W2), as on the native engine.
    expect(relDiff(got.result.optimizerState.subarray(0, ref.m.length), ref.m)).toBeLessThan(TOL);
    expect(relDiff(got.result.optimizerState.subarray(ref.m.length), ref.v)).toBeLessThan(TOL);
    // The defaults are Adam's 0.9, 0.999, 1e-8.
    const defaults = await collectTfjs({ ...input, optimization: { optimizer: 'adam', batchSize: B } });
    expect(relDiff(defaults.result.final.w1, adamRun(input, B, [0.9, 0.999, 1e-8], 5).w.w1)).toBeLessThan(TOL);
  });

  for (const optimization of [
    { optimizer: 'sgd', batchSize: 7, momentum: 0.5 },
    { optimizer: 'adam', batchSize: 12 },
  ] as const) {
    it(`${optimization.optimizer}: resumes bit for bit on tfjs-cpu from weights + optimizer state`, async () => {
      const input = { ...base({ steps: 20 }), optimization };
      const whole = await collectTfjs(input);
      const first = await collectTfjs({ ...input, steps: 12 });
      expect(first.result.optimizerState.length).toBe(optimization.optimizer === 'adam' ? 2 * 100 * 7 : 100 * 7);
      const rest = await collectTfjs({
        ...input,
        steps: 8,
        firstStep: 12,
        initial: first.result.final,
        optimizerState: first.result.optimizerState,
      });
      expectResumedBits(rest, whole, 12);
      // Without the state, Adam and heavy ball restart their moments: a different run.
      const cold = await collectTfjs({ ...input, steps: 8, firstStep: 12, initial: first.result.final });
      expect(sameBits(cold.result.final.w1, whole.result.final.w1)).toBe(false);
    });
  }

  it('leaves no tensors behind with a state, after success and divergence', async () => {
    const input = base({ steps: 4 });
    for (const optimization of [
      { optimizer: 'sgd', batchSize: 5, momentum: 0.9 },
      { optimizer: 'adam', batchSize: 5 },
    ] as const) {
      await collectTfjs({ ...input, optimization }); // the backend is initialized by now
      const before = tf.memory().numTensors;
      await collectTfjs({ ...input, optimization });
      expect(tf.memory().numTensors).toBe(before);
      await expect(collectTfjs({ ...input, learningRate: 1e30, steps: 50, optimization })).rejects.toThrow(TrainingDivergedError);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses an optimizer state of the wrong length, and sgd for the model family, in one line', async () => {
    const input = base({ steps: 1, optimization: { optimizer: 'adam', batchSize: 4 } });
    await expect(collectTfjs({ ...input, optimizerState: new Float64Array(700) })).rejects.toThrow(
      /^optimizerState must have 1400 entries for adam at this size, got 700$/,
    );
    const family: TrainInput<ModelWeights> = {
      ...input,
      model: { depth: 3, bias: 0, activation: 'relu' },
      optimization: { optimizer: 'sgd' },
    };
    await expect(trainNetwork(family, { onLog: () => undefined })).rejects.toThrow(
      /^training\.optimizer sgd needs the native engine for the model family \(model\.depth.*, or use optimizer gd$/,
    );
  });
});
