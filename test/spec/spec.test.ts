import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../src/spec/schema.js';
import { applyOverride, loadSpec } from '../../src/spec/load.js';
import { canonicalSpecJson, runIdFor, specHash } from '../../src/spec/hash.js';

const dir = mkdtempSync(join(tmpdir(), 'specbias-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function specErrorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('pipeline spec', () => {
  it('fills the documented defaults (docs/spec.md) into an empty spec', () => {
    const spec = parseSpec({});
    expect(spec.data).toEqual({
      dim: 10,
      n: 1000,
      nTest: 1000,
      distribution: { kind: 'uniform' },
      target: { kind: 'harmonics', components: [1, 2, 4].map((degree) => ({ degree, amplitude: 1 })) },
    });
    expect(spec.model).toEqual({ width: 4096, theta: 1 });
    expect(spec.training).toEqual({ steps: 20000, learningRate: 1, logEvery: 10, engine: 'auto' });
    expect(spec.spectrum).toEqual({ maxDegree: 8, gram: true });
    expect(spec.sweep).toBeUndefined();
  });

  it('canonical JSON sorts keys, so field order does not change the hash', () => {
    const a = parseSpec({ name: 'a', seed: 1, model: { width: 8, theta: 1 } });
    const b = parseSpec({ model: { theta: 1, width: 8 }, seed: 1, name: 'a' });
    expect(canonicalSpecJson(a)).toBe(canonicalSpecJson(b));
    expect(specHash(a)).toBe(createHash('sha256').update(canonicalSpecJson(a)).digest('hex'));
    expect(canonicalSpecJson(a).startsWith('{"data":{"dim":10,')).toBe(true);
    expect(runIdFor(a)).toBe(`a-${specHash(a).slice(0, 12)}`);
    expect(specHash(parseSpec({ name: 'a', seed: 2 }))).not.toBe(specHash(parseSpec({ name: 'a', seed: 1 })));
  });

  it('names the field and the value for each kind of bad input', () => {
    expect(specErrorOf(() => parseSpec({ data: { n: 0 } })).message).toBe('invalid spec at data.n: must be >= 2, got 0');
    expect(specErrorOf(() => parseSpec({ data: { dim: 1 } })).field).toBe('data.dim');
    expect(specErrorOf(() => parseSpec({ model: { width: 0 } })).field).toBe('model.width');
    expect(specErrorOf(() => parseSpec({ training: { steps: 2.5 } })).message).toBe(
      'invalid spec at training.steps: expected an integer, got 2.5',
    );
    expect(specErrorOf(() => parseSpec({ training: { learningRate: -1 } })).message).toContain(
      'training.learningRate: must be > 0, got -1',
    );
    expect(specErrorOf(() => parseSpec({ model: { widht: 3 } })).message).toContain('at model.widht: unknown field "widht"');
    expect(specErrorOf(() => parseSpec({ data: { distribution: { kind: 'banana' } } })).message).toContain(
      'data.distribution.kind: unknown kind "banana"',
    );
    expect(
      specErrorOf(() => parseSpec({ data: { target: { kind: 'harmonics', components: [{ degree: -1, amplitude: 1 }] } } })).field,
    ).toBe('data.target.components.0.degree');
    expect(specErrorOf(() => parseSpec({ model: { width: 'wide' } })).message).toBe(
      'invalid spec at model.width: expected number, got string "wide"',
    );
    expect(specErrorOf(() => parseSpec([1])).message).toContain('expected a mapping of fields, got a list');
  });

  it('a sweep grid path must name a field, and every grid point must be a valid spec', () => {
    expect(specErrorOf(() => parseSpec({ sweep: { grid: { 'model.widht': [1, 2] } } })).message).toBe(
      'invalid spec at sweep.grid.model.widht: no field "model.widht" in the spec; grid keys are spec paths such as model.width',
    );
    expect(specErrorOf(() => parseSpec({ sweep: { grid: { 'model.width': [64, 0] } } })).message).toBe(
      'invalid spec at sweep.grid (point {"model.width":0}): model.width: must be >= 1, got 0',
    );
    expect(parseSpec({ sweep: { grid: { seed: [0, 1], 'model.width': [8] } } }).sweep).toEqual({
      grid: { seed: [0, 1], 'model.width': [8] },
      concurrency: 2,
    });
  });

  it('distribution defaults depend on dim and land in the canonical spec; bad parameters are named', () => {
    const spec = parseSpec({ data: { dim: 4, distribution: { kind: 'anisotropic-gaussian' } } });
    expect(spec.data.distribution).toEqual({ kind: 'anisotropic-gaussian', scales: [2, 2 * 0.25 ** (1 / 3), 2 * 0.25 ** (2 / 3), 0.5] });
    expect(specErrorOf(() => parseSpec({ data: { dim: 4, distribution: { kind: 'anisotropic-gaussian', scales: [1, 2] } } })).field).toBe(
      'data.distribution.scales',
    );
    expect(specErrorOf(() => parseSpec({ data: { dim: 4, target: { kind: 'cosine', zeta: [1, 0] } } })).message).toBe(
      'invalid spec at data.target.zeta: has 2 entries, expected data.dim = 4',
    );
  });

  it('rejects a target that lists one degree twice', () => {
    const comps = [
      { degree: 2, amplitude: 1 },
      { degree: 2, amplitude: 3 },
    ];
    expect(specErrorOf(() => parseSpec({ data: { target: { kind: 'harmonics', components: comps } } })).field).toBe(
      'data.target.components',
    );
  });
});

describe('spec files and --set', () => {
  it('reads YAML and JSON to the same spec', async () => {
    const y = file('a.yaml', 'name: twin\nmodel:\n  width: 64\n');
    const j = file('a.json', '{"name": "twin", "model": {"width": 64}}');
    expect(canonicalSpecJson(await loadSpec(y))).toBe(canonicalSpecJson(await loadSpec(j)));
  });

  it('--set parses JSON values and falls back to strings', async () => {
    const y = file('b.yaml', 'name: b\n');
    const spec = await loadSpec(y, [
      'model.width=128',
      'training.engine=tfjs-cpu',
      'data.target={"kind":"harmonics","components":[{"degree":3,"amplitude":2}]}',
    ]);
    expect(spec.model.width).toBe(128);
    expect(spec.training.engine).toBe('tfjs-cpu');
    expect(spec.data.target).toEqual({ kind: 'harmonics', components: [{ degree: 3, amplitude: 2 }] });
    const raw: Record<string, unknown> = { a: 1 };
    expect(() => applyOverride(raw, 'a.b=2')).toThrow(/cannot descend into a/);
    expect(() => applyOverride(raw, 'novalue')).toThrow(/path=value/);
  });

  it('names the file for missing, empty and malformed files', async () => {
    await expect(loadSpec(join(dir, 'nope.yaml'))).rejects.toThrow(`${join(dir, 'nope.yaml')}: invalid spec: no such file`);
    await expect(loadSpec(file('empty.yaml', '  \n'))).rejects.toThrow('the file is empty');
    await expect(loadSpec(file('bad.yaml', 'name: [unclosed\n'))).rejects.toThrow(
      /bad\.yaml: invalid spec: malformed YAML\/JSON \(line \d+, column \d+\)/,
    );
    await expect(loadSpec(file('typo.yaml', 'name: t\nmodle: {}\n'))).rejects.toThrow(
      'typo.yaml: invalid spec at modle: unknown field "modle"',
    );
  });

  it('the shipped quickstart YAML and JSON twin are the same spec', async () => {
    const y = await loadSpec('pipelines/quickstart.yaml');
    const j = await loadSpec('pipelines/quickstart.json');
    expect(canonicalSpecJson(j)).toBe(canonicalSpecJson(y));
  });
});
