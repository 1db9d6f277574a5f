import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { loadSpec } from '../../src/spec/load.js';
import { specJsonSchema, specJsonSchemaText, specMarkdown } from '../../src/spec/reference.js';

const pipelines = readdirSync('pipelines')
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.json'))
  .map((f) => join('pipelines', f));
const regenerate = 'stale: run `npm run build && node scripts/spec-reference.mjs` and commit the result';

describe('the spec reference is generated from the zod schema', () => {
  it('docs/spec.schema.json is current', () => {
    expect(readFileSync('docs/spec.schema.json', 'utf8'), regenerate).toBe(specJsonSchemaText());
  });

  it('docs/spec.md is current and lists every field of the schema', () => {
    const md = readFileSync('docs/spec.md', 'utf8');
    expect(md, regenerate).toBe(specMarkdown());
    for (const field of [
      'name',
      'seed',
      'data.dim',
      'data.distribution.threshold',
      'data.target.components[].amplitude',
      'model.init',
      'training.logEvery',
      'spectrum.gram',
      'sweep.grid',
    ]) {
      expect(md).toContain(`| \`${field}\` |`);
    }
    expect(md).toContain("`name: x` alone is a valid spec, and it runs the paper's size");
    expect(md).toContain('20,000 gradient-descent steps');
  });
});

describe('every shipped pipeline', () => {
  const ajv = new Ajv({ allErrors: true, strictTuples: false });
  const validate = ajv.compile(specJsonSchema());

  it('there are shipped pipelines to check', () => {
    expect(pipelines.length).toBeGreaterThan(5);
  });

  it.each(pipelines)('%s validates with the zod schema and the JSON Schema', async (file) => {
    await loadSpec(file);
    const raw = parseYaml(readFileSync(file, 'utf8')) as unknown;
    expect(validate(raw), ajv.errorsText(validate.errors)).toBe(true);
  });

  it.each(pipelines.filter((f) => f.endsWith('.yaml')))('%s names the JSON Schema for editors on its first line', (file) => {
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../docs/spec.schema.json');
  });

  it('the JSON Schema refuses what the zod schema refuses field by field', () => {
    for (const bad of [
      { modle: {} },
      { model: { width: 0 } },
      { data: { distribution: { kind: 'sphere' } } },
      { training: { engine: 'gpu' } },
      { data: { n: 1.5 } },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(validate({ name: 'ok', model: { init: 'symmetric', width: 8 } })).toBe(true);
  });
});
