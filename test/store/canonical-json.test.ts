import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson, contentKey, sha256Hex } from '../../src/store/index.js';

describe('canonicalJson', () => {
  it('canonicalJson sorts object keys at every depth and keeps array order', () => {
    const value = { b: [3, { z: 1, a: [2, 1] }], a: { d: null, c: 'x' }, 'key with space': true };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":null},"b":[3,{"a":[2,1],"z":1}],"key with space":true}');
  });

  it('canonicalJson is the same for objects built in different key orders', () => {
    const one = { seed: 0, data: { dim: 10, n: 1000 }, training: { steps: 20000, learningRate: 1 } };
    const two = { training: { learningRate: 1, steps: 20000 }, data: { n: 1000, dim: 10 }, seed: 0 };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
    expect(contentKey(one)).toBe(contentKey(two));
  });

  it('canonicalJson writes numbers and strings as JSON.stringify does, without whitespace', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 'a"b\n', '\u2028'])).toBe(JSON.stringify([1e21, 0.1, -0, 1.5e-7, 'a"b\n', '\u2028']));
    expect(canonicalJson({ a: [1, 2], b: { c: 'd' } })).not.toMatch(/\s/);
  });

  it('canonicalJson omits undefined object fields and honours toJSON', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ at: new Date('2024-01-02T03:04:05.000Z') })).toBe('{"at":"2024-01-02T03:04:05.000Z"}');
  });

  it('canonicalJson rejects NaN, Infinity, undefined in arrays, bigints, cycles and non-plain objects, naming the location', () => {
    expect(() => canonicalJson({ training: { learningRate: Number.NaN } })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ training: { learningRate: Number.NaN } })).toThrow(
      'cannot canonicalize $.training.learningRate: NaN has no JSON form',
    );
    expect(() => canonicalJson([1, Number.POSITIVE_INFINITY])).toThrow('$[1]: Infinity has no JSON form');
    expect(() => canonicalJson({ xs: [1, undefined] })).toThrow('$.xs[1]: undefined has no JSON form');
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/a Map is not a plain object/);
    expect(() => canonicalJson({ v: new Float64Array(2) })).toThrow(/Float64Array/);
  });

  it('sha256Hex matches the published digest of "abc" and node:crypto on strings and bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(sha256Hex('µ_k')).toBe(createHash('sha256').update(Buffer.from('µ_k', 'utf8')).digest('hex'));
  });

  it('contentKey hashes the canonical JSON of its parts', () => {
    const parts = { upstream: ['ab', 'cd'], step: 'spectrum', version: 1, params: { maxDegree: 8, dim: 10 } };
    const expected = '{"params":{"dim":10,"maxDegree":8},"step":"spectrum","upstream":["ab","cd"],"version":1}';
    expect(canonicalJson(parts)).toBe(expected);
    expect(contentKey(parts)).toBe(createHash('sha256').update(expected).digest('hex'));
  });
});
