/**
 * Seeded pseudo-random numbers owned by the project: xoshiro128** seeded through splitmix32.
 *
 * Only 32-bit integer arithmetic (`Math.imul`, shifts) drives the state, so a seed gives the same
 * stream on every machine. Streams are named: `new Prng(seed, 'sample/train')` and
 * `new Prng(seed, 'init/W1')` never overlap in practice, and adding a stream never shifts another.
 *
 *   const rng = new Prng(0, 'sample');
 *   rng.uniform();   // in [0, 1)
 *   rng.normal();    // N(0, 1), Box-Muller
 */

/**
 * The streams a run draws from, one per use, all seeded by the spec's `seed`. Every caller names
 * its stream from here, and the run's manifest lists these values.
 */
export const STREAMS = {
  /** The training points. */
  sampleTrain: 'sample/train',
  /** The held-out points. */
  sampleTest: 'sample/test',
  /** The shuffle of a data file's rows (training rows first, held-out rows last). */
  sampleFile: 'sample/file',
  /** The target's directions zeta. */
  targetZeta: 'target/zeta',
  /** The first layer's initial weights. */
  initW1: 'init/W1',
  /** The output layer's initial weights. */
  initW2: 'init/W2',
  /** SGD and Adam mini-batches: epoch e permutes the training points from `train/batches#e`. */
  trainBatches: 'train/batches',
} as const;

export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number, stream = '') {
    let h = mix32((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1));
    for (let i = 0; i < stream.length; i++) h = mix32(h ^ Math.imul(stream.charCodeAt(i), 0x85ebca6b));
    const sm = splitmix32(h);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by the Box-Muller transform; pairs are cached. */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform(); // log(0) is -inf
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill a new Float64Array with N(0, std^2) draws. */
  normals(count: number, std = 1): Float64Array {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = std * this.normal();
    return out;
  }

  /** The exact generator state, for checkpoints; {@link Prng.fromState} restores it. */
  state(): PrngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  static fromState(state: PrngState): Prng {
    const p = new Prng(0);
    const [s0, s1, s2, s3] = state.s;
    if (s0 === undefined || s1 === undefined || s2 === undefined || s3 === undefined) {
      throw new RangeError(`Prng.fromState: state.s must hold 4 words, got ${state.s.length}`);
    }
    [p.s0, p.s1, p.s2, p.s3] = [s0 | 0, s1 | 0, s2 | 0, s3 | 0];
    p.spare = state.spare;
    return p;
  }
}

export interface PrngState {
  s: number[];
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}
