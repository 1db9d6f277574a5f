import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseSpec, SpecError } from '../../src/spec/schema.js';
import { applyOverride, loadSpec, MAX_SPEC_BYTES } from '../../src/spec/load.js';
import { MAX_SWEEP_POINTS, sweepPoints } from '../../src/spec/sweep.js';
import { runIdFor } from '../../src/spec/hash.js';

// Issue 11 section 2 and issue 9: every rule lives in the zod schema; each case names its field in one line.
const dir = mkdtempSync(join(tmpdir(), 'specbias-guards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    return (err as Error).message;
  }
  throw new Error('expected a SpecError');
}

const seeds = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('numbers', () => {
  it('NaN, infinity and overflow read "not a finite number" at the real field', async () => {
    expect(messageOf(() => parseSpec({ training: { learningRate: Number.NaN } }))).toBe(
      'invalid spec at training.learningRate: not a finite number, got NaN',
    );
    expect(messageOf(() => parseSpec({ model: { theta: Number.POSITIVE_INFINITY } }))).toBe(
      'invalid spec at model.theta: not a finite number, got Infinity',
    );
    const y = file('inf.yaml', 'name: inf\ndata:\n  target: { kind: harmonics, components: [{ degree: 1, amplitude: 1e400 }] }\n');
    await expect(loadSpec(y)).rejects.toThrow(
      `${y}: invalid spec at data.target.components.0.amplitude: not a finite number, got Infinity`,
    );
    const nan = file('nan.yaml', 'name: nan\ndata: { distribution: { kind: piecewise-uniform, threshold: .nan } }\n');
    await expect(loadSpec(nan)).rejects.toThrow('invalid spec at data.distribution.threshold: not a finite number, got NaN');
  });

  it('an amplitude of 1e308 is refused at the amplitude, not blamed on the learning rate later', () => {
    const msg = messageOf(() => parseSpec({ data: { target: { kind: 'harmonics', components: [{ degree: 1, amplitude: 1e308 }] } } }));
    expect(msg).toBe(
      'invalid spec at data.target.components.0.amplitude: is too large: |value| must be <= 1e+100 (larger values overflow when squared), got 1e+308',
    );
  });

  it('step and point counts stay within the int32 columns of the artifacts', () => {
    expect(messageOf(() => parseSpec({ training: { steps: 1e15 } }))).toBe(
      'invalid spec at training.steps: must be <= 2147483647, got 1000000000000000',
    );
    expect(messageOf(() => parseSpec({ data: { n: 1e12 } }))).toBe('invalid spec at data.n: must be <= 2147483647, got 1000000000000');
  });
});

describe('rules that make rates meaningless', () => {
  it('refuses n = 1 and fewer points than target degree parts', () => {
    expect(messageOf(() => parseSpec({ data: { n: 1 } }))).toBe('invalid spec at data.n: must be >= 2, got 1');
    expect(messageOf(() => parseSpec({ data: { n: 3 } }))).toBe(
      "invalid spec at data.n: must be more than the target's 3 degree parts (n points hold at most n independent parts), got 3",
    );
    expect(parseSpec({ data: { n: 4 } }).data.n).toBe(4);
    // cosine with maxDegree 8: degrees 0, 2, 4, 6, 8
    expect(messageOf(() => parseSpec({ data: { n: 5, target: { kind: 'cosine' } } }))).toContain("the target's 5 degree parts");
  });

  it('refuses logEvery > steps', () => {
    expect(messageOf(() => parseSpec({ training: { steps: 10, logEvery: 11 } }))).toBe(
      'invalid spec at training.logEvery: must be <= training.steps = 10, got 11; a rate needs logged steps after step 0',
    );
    expect(parseSpec({ training: { steps: 10, logEvery: 10 } }).training.logEvery).toBe(10);
  });
});

describe('distribution parameters are validated by the schema', () => {
  const dim = 10;
  const at = (distribution: unknown) => messageOf(() => parseSpec({ data: { dim, distribution } }));
  it('names the offending parameter with the same one-line messages as before', () => {
    expect(at({ kind: 'anisotropic-gaussian', scales: [1, 2, 3] })).toBe(
      'invalid spec at data.distribution.scales: has 3 entries, expected data.dim = 10',
    );
    expect(at({ kind: 'anisotropic-gaussian', scales: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0] })).toBe(
      'invalid spec at data.distribution.scales.9: must be > 0, got 0',
    );
    expect(at({ kind: 'piecewise-uniform', threshold: 2 })).toBe('invalid spec at data.distribution.threshold: must be <= 1, got 2');
    expect(at({ kind: 'piecewise-uniform', weights: [1] })).toBe('invalid spec at data.distribution.weights: must be >= 2 items, got [1]');
    expect(at({ kind: 'piecewise-uniform', weights: [0, 0] })).toBe(
      'invalid spec at data.distribution.weights: are both 0; at least one region needs mass',
    );
    expect(at({ kind: 'piecewise-uniform', direction: Array(dim).fill(0) })).toBe(
      'invalid spec at data.distribution.direction: is the zero vector; give a nonzero direction or leave it out for e_1',
    );
    expect(at({ kind: 'piecewise-uniform', tilt: 1 })).toBe(
      'invalid spec at data.distribution.tilt: unknown field "tilt"; expected one of kind, direction, threshold, weights (docs/spec.md)',
    );
    expect(at({ kind: 'gaussian-mixture', components: [{ weight: 1, mean: [1], scale: 1 }] })).toBe(
      'invalid spec at data.distribution.components.0.mean: has 1 entries, expected data.dim = 10',
    );
    expect(at({ kind: 'gaussian-mixture', components: [] })).toBe(
      'invalid spec at data.distribution.components: must be >= 1 items, got []',
    );
    expect(at({ kind: 'gaussian-mixture', components: [{ weight: 0, mean: Array(dim).fill(1), scale: 1 }] })).toBe(
      'invalid spec at data.distribution.components: have all weights 0; at least one component needs mass',
    );
    expect(at({ kind: 'sphere' })).toBe(
      'invalid spec at data.distribution.kind: unknown kind "sphere"; expected "uniform" | "piecewise-uniform" | "anisotropic-gaussian" | "gaussian-mixture" | "file"',
    );
  });

  it('refuses a weighted piecewise-uniform region too small to sample by rejection, and accepts it with weight 0', () => {
    expect(at({ kind: 'piecewise-uniform', threshold: 0.99, weights: [0.5, 0.5] })).toMatch(
      /^invalid spec at data\.distribution\.threshold: = 0\.99 leaves region A \(<u, x> >= threshold\) only \d\.\d\de-\d+ of the sphere at dim 10/,
    );
    expect(
      parseSpec({ data: { dim, distribution: { kind: 'piecewise-uniform', threshold: 0.99, weights: [0, 1] } } }).data.distribution,
    ).toEqual({
      kind: 'piecewise-uniform',
      threshold: 0.99,
      weights: [0, 1],
    });
  });

  it('fills dim-dependent defaults and keeps given parameters whole', () => {
    expect(parseSpec({ data: { dim, distribution: { kind: 'piecewise-uniform', threshold: 0.5 } } }).data.distribution).toEqual({
      kind: 'piecewise-uniform',
      threshold: 0.5,
      weights: [0.8, 0.2],
    });
    expect(parseSpec({ data: { dim, distribution: { kind: 'gaussian-mixture' } } }).data.distribution).toEqual({
      kind: 'gaussian-mixture',
      components: [
        { weight: 0.5, mean: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0], scale: 0.5 },
        { weight: 0.5, mean: [-2, 0, 0, 0, 0, 0, 0, 0, 0, 0], scale: 0.5 },
      ],
    });
  });
});

describe('sweep grids', () => {
  it('refuses duplicate grid values in one line, also objects written in another key order', () => {
    expect(messageOf(() => parseSpec({ sweep: { grid: { seed: [0, 1, 0] } } }))).toBe(
      'invalid spec at sweep.grid.seed: value 0 appears twice; give each value once',
    );
    const target = (order: 'ab' | 'ba') => (order === 'ab' ? { kind: 'cosine', omega: 2 } : { omega: 2, kind: 'cosine' });
    expect(messageOf(() => parseSpec({ sweep: { grid: { 'data.target': [target('ab'), target('ba')] } } }))).toContain(
      'invalid spec at sweep.grid.data.target: value {"kind":"cosine","omega":2} appears twice',
    );
  });

  it('refuses grid keys and --set paths that reach a prototype, and changes no built-in', () => {
    const before = Object.prototype.toString;
    for (const key of ['__proto__.toString', 'constructor.name', 'model.prototype', 'model..width']) {
      expect(messageOf(() => parseSpec(JSON.parse(`{"sweep":{"grid":{"${key}":[1]}}}`)))).toMatch(
        new RegExp(`^invalid spec at sweep\\.grid\\.${key.replace(/\./g, '\\.')}: the path (uses|has)`),
      );
    }
    expect(Object.prototype.toString).toBe(before);
    const raw: Record<string, unknown> = { name: 'x' };
    expect(() => applyOverride(raw, '__proto__.x=1')).toThrow(
      new SpecError('__proto__.x', '--set path uses "__proto__", which names no spec field'),
    );
    expect(() => applyOverride(raw, 'model.constructor=1')).toThrow(/uses "constructor"/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('sweeps a valid optional field the spec does not set (model.init)', () => {
    const spec = parseSpec({ name: 'init', model: { width: 8 }, sweep: { grid: { 'model.init': ['gaussian', 'symmetric'] } } });
    const points = sweepPoints(spec);
    expect(points.map((p) => p.params)).toEqual([{ 'model.init': 'gaussian' }, { 'model.init': 'symmetric' }]);
    expect(points[1]!.runId).toBe(runIdFor(parseSpec({ name: 'init', model: { width: 8, init: 'symmetric' } })));
    expect(messageOf(() => parseSpec({ sweep: { grid: { 'model.initt': ['gaussian'] } } }))).toContain(
      'no field "model.initt" in the spec',
    );
    // A point that breaks a cross-field rule is named with its values.
    expect(messageOf(() => parseSpec({ model: { width: 7 }, sweep: { grid: { 'model.init': ['symmetric'] } } }))).toBe(
      'invalid spec at sweep.grid (point {"model.init":"symmetric"}): model.width: must be even with model.init = symmetric (neurons come in pairs), got 7',
    );
  });

  it('sweepPoints lists every point in grid order with the run id its pipeline gets', () => {
    const spec = parseSpec({ name: 'g', sweep: { grid: { seed: [0, 1], 'model.width': [8, 16] } } });
    const points = sweepPoints(spec);
    expect(points.map((p) => p.params)).toEqual([
      { 'model.width': 8, seed: 0 },
      { 'model.width': 8, seed: 1 },
      { 'model.width': 16, seed: 0 },
      { 'model.width': 16, seed: 1 },
    ]);
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    for (const p of points) {
      expect(p.runId).toBe(runIdFor(parseSpec({ name: 'g', seed: p.params.seed, model: { width: p.params['model.width'] } })));
      expect(p.pointId).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(points.map((p) => p.pointId)).size).toBe(4);
  });

  it('refuses a grid of more than MAX_SWEEP_POINTS points before expanding it', () => {
    expect(messageOf(() => parseSpec({ sweep: { grid: { seed: seeds(200), 'model.width': seeds(100).map((w) => w + 1) } } }))).toBe(
      `invalid spec at sweep.grid: has 20000 points (the product of its list lengths), more than the limit of ${MAX_SWEEP_POINTS}; split the sweep`,
    );
  });

  it('validation work is linear in the grid size (characters serialized, not time)', () => {
    // The old validation copied the whole spec, grid included, for every point: quadratic.
    const serialized = (count: number) => {
      const stringify = JSON.stringify;
      let chars = 0;
      const spy = vi.spyOn(JSON, 'stringify').mockImplementation((...args: Parameters<typeof JSON.stringify>) => {
        const s = stringify(...args);
        chars += s?.length ?? 0;
        return s;
      });
      try {
        parseSpec({ name: 'lin', sweep: { grid: { seed: seeds(count) } } });
      } finally {
        spy.mockRestore();
      }
      return chars;
    };
    const small = serialized(1000);
    const large = serialized(4000);
    expect(large / small).toBeLessThan(5); // quadratic would be 16
  });
});

describe('spec files', () => {
  it('refuses a file over the size limit before parsing it', async () => {
    const big = file('big.yaml', `name: big\n${'# padding\n'.repeat(MAX_SPEC_BYTES / 10 + 1)}`);
    await expect(loadSpec(big)).rejects.toThrow(
      `${big}: invalid spec: the file has ${statSync(big).size} bytes, more than the limit of ${MAX_SPEC_BYTES}`,
    );
  });

  it('an alias bomb is a SpecError naming the file', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = file('bomb.yaml', `${levels.join('\n')}\n`);
    await expect(loadSpec(bomb)).rejects.toThrow(
      `${bomb}: invalid spec: refused: YAML aliases expand to too much data (more than 100 alias uses); write the values out`,
    );
  });
});
