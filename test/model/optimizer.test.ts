import { describe, expect, it } from 'vitest';
import {
  gdStepReference,
  initWeights,
  trainNative,
  trainNetwork,
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
    const idx = batchIndices(input.seed, input.nTrain, B, 0, 3);
    const batch = (s: number) => idx.subarray(s * B, (s + 1) * B);
    const w0 = initWeights(input.seed, input.width, input.dim);
    // Plain: three GD steps, each on its batch's points.
    let w = w0;
    for (let s = 0; s < 3; s++) w = sgdStepRef(w, input, batch(s));
    const plain = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: B } }, { precision: 'f64' });
    expect(maxDiff(plain.result.final.w1, w.w1)).toBeLessThan(1e-12);
    expect(maxDiff(plain.result.final.w2, w.w2)).toBeLessThan(1e-12);
    // Heavy ball: u <- mu u + (step), W <- W + u.
    const mu = 0.7;
    let cur = w0;
    let u1 = new Float64Array(w0.w1.length);
    let u2 = new Float64Array(w0.w2.length);
    for (let s = 0; s < 3; s++) {
      const step = sgdStepRef(cur, input, batch(s));
      u1 = u1.map((u, i) => mu * u + (step.w1[i]! - cur.w1[i]!));
      u2 = u2.map((u, i) => mu * u + (step.w2[i]! - cur.w2[i]!));
      cur = { ...cur, w1: cur.w1.map((v, i) => v + u1[i]!), w2: cur.w2.map((v, i) => v + u2[i]!) };
    }
    const hb = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: B, momentum: mu } }, { precision: 'f64' });
    expect(maxDiff(hb.result.final.w1, cur.w1)).toBeLessThan(1e-12);
    expect(maxDiff(hb.result.final.w2, cur.w2)).toBeLessThan(1e-12);
    expect(maxDiff(hb.result.final.w1, w.w1)).toBeGreaterThan(1e-6); // momentum did something
    expect(maxDiff(hb.result.optimizerState.subarray(0, u1.length), u1)).toBeLessThan(1e-12); // the velocity
  });

  it("adam steps follow the float64 reference: bias-corrected moments, lr = eta' / (m theta)", async () => {
    const input = { ...base(), steps: 3 };
    const B = 10;
    const [b1, b2, eps] = [0.8, 0.95, 1e-6];
    const lr = adamStepSize(input.learningRate, input.width, input.theta);
    expect(lr).toBeCloseTo(1.3 / (100 * 1.1), 15);
    const idx = batchIndices(input.seed, input.nTrain, B, 0, 3);
    let w = initWeights(input.seed, input.width, input.dim);
    const len = w.w1.length + w.w2.length;
    const m = new Float64Array(len);
    const v = new Float64Array(len);
    for (let t = 1; t <= 3; t++) {
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
    const got = await collect(
      { ...input, optimization: { optimizer: 'adam', batchSize: B, beta1: b1, beta2: b2, eps } },
      { precision: 'f64' },
    );
    expect(maxDiff(got.result.final.w1, w.w1)).toBeLessThan(1e-10);
    expect(maxDiff(got.result.final.w2, w.w2)).toBeLessThan(1e-10);
    expect(maxDiff(got.result.optimizerState.subarray(0, len), m)).toBeLessThan(1e-10);
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
      for (const log of rest.logs) expect(sameBits(log.residualTrain, whole.logs[12 + log.step]!.residualTrain)).toBe(true);
      expect(sameBits(rest.result.final.w1, whole.result.final.w1)).toBe(true);
      expect(sameBits(rest.result.final.w2, whole.result.final.w2)).toBe(true);
      expect(sameBits(rest.result.optimizerState, whole.result.optimizerState)).toBe(true);
      // Without the state, Adam and heavy ball restart their moments: a different run.
      const cold = await collect({ ...input, steps: 8, firstStep: 12, initial: first.result.final });
      expect(sameBits(cold.result.final.w1, whole.result.final.w1)).toBe(false);
    });
  }
});

describe('the tfjs engines', () => {
  it('refuse sgd and adam with one line naming training.optimizer', async () => {
    const input = trainingProblem('tfjs-cpu', { nTrain: 5, nTest: 0, dim: 3, steps: 1 });
    await expect(trainNetwork({ ...input, optimization: { optimizer: 'adam' } }, { onLog: () => undefined })).rejects.toThrow(
      /^training\.optimizer adam needs the native engine/,
    );
  });
});
