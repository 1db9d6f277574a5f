/**
 * The spec reference, generated from the zod schema so it cannot drift from what is checked:
 * the JSON Schema that editors use (`docs/spec.schema.json`, `specbias spec --schema`) and the
 * field table of `docs/spec.md`. `node scripts/spec-reference.mjs` rewrites both files after a
 * build; a test fails while either is stale.
 *
 *   const schema = specJsonSchema();      // JSON Schema draft-07 of what a spec file may hold
 *   const markdown = specMarkdown();      // docs/spec.md
 */
import { z } from 'zod';
import { MAX_SWEEP_POINTS } from './grid.js';
import { MAX_SPEC_BYTES } from './load.js';
import { bytes, estimateRun } from './resources.js';
import { MAX_MAGNITUDE, parseSpec, pipelineSpecSchema } from './schema.js';

type JsonSchema = {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema | JsonSchema[] | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  [key: string]: unknown;
};

/** The JSON Schema (draft-07, which YAML editors support) of a spec file: its input, before defaults. */
export function specJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(pipelineSpecSchema, { io: 'input', target: 'draft-7' }) as JsonSchema;
  return {
    $schema: schema.$schema,
    title: 'specbias pipeline spec',
    description:
      'A specbias pipeline spec (docs/spec.md). Rules across fields (lengths equal to data.dim, sweep points) are checked by `specbias spec FILE`.',
    ...schema,
  };
}

/** The JSON Schema as committed: two-space JSON and a final newline. */
export function specJsonSchemaText(): string {
  return `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
}

interface Row {
  field: string;
  type: string;
  default: string;
  meaning: string;
}

/** One row per field, depth first; a union's variants get rows named `field (kind: x)`. */
function rows(schema: JsonSchema, path: string, out: Row[], required = false): void {
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    const kinds = variants.map((v) => v.properties?.kind?.const).filter((k) => k !== undefined);
    out.push({
      field: path,
      type: `one of kind ${kinds.map((k) => `\`${String(k)}\``).join(', ')}`,
      default: shown(schema.default, required),
      meaning: schema.description ?? '',
    });
    for (const v of variants) {
      const kind = String(v.properties?.kind?.const);
      out.push({ field: `${path} (kind: ${kind})`, type: 'mapping', default: '', meaning: v.description ?? '' });
      for (const [key, child] of Object.entries(v.properties ?? {})) {
        if (key !== 'kind') rows(child, `${path}.${key}`, out, v.required?.includes(key));
      }
    }
    return;
  }
  if (path) out.push({ field: path, type: typeOf(schema), default: shown(schema.default, required), meaning: schema.description ?? '' });
  if (schema.type === 'object' && schema.properties) {
    for (const [key, child] of Object.entries(schema.properties))
      rows(child, path ? `${path}.${key}` : key, out, schema.required?.includes(key));
  }
  if (
    schema.type === 'array' &&
    schema.items &&
    !Array.isArray(schema.items) &&
    typeof schema.items === 'object' &&
    schema.items.properties
  ) {
    for (const [key, child] of Object.entries(schema.items.properties))
      rows(child, `${path}[].${key}`, out, schema.items.required?.includes(key));
  }
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  const range = (): string => {
    const parts: string[] = [];
    if (s.exclusiveMinimum !== undefined) parts.push(`> ${num(s.exclusiveMinimum)}`);
    if (s.minimum !== undefined && s.minimum !== -MAX_MAGNITUDE) parts.push(`>= ${num(s.minimum)}`);
    if (s.maximum !== undefined && s.maximum !== MAX_MAGNITUDE) parts.push(`<= ${num(s.maximum)}`);
    return parts.length ? ` ${parts.join(', ')}` : '';
  };
  switch (s.type) {
    case 'integer':
      return `integer${range()}`;
    case 'number':
      return `number${range()}`;
    case 'array': {
      if (Array.isArray(s.items)) return `[${s.items.map(typeOf).join(', ')}]`;
      const item = s.items && typeof s.items === 'object' ? typeOf(s.items) : 'any';
      const count =
        s.minItems !== undefined && s.maxItems !== undefined
          ? ` (${s.minItems}-${s.maxItems} items)`
          : s.minItems
            ? ` (${s.minItems}+ items)`
            : '';
      return `list of ${item}${count}`;
    }
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object')
        return `mapping of path to ${typeOf(s.additionalProperties)}`;
      return 'mapping';
    case 'string':
      return s.pattern ? 'string (letters, digits, `.`, `_`, `-`; at most 64)' : 'string';
    case 'boolean':
      return 'boolean';
    default:
      return s.type ?? 'any';
  }
}

function num(v: number): string {
  return v === 2 ** 31 - 1 ? '2^31 - 1' : v === 2 ** 32 - 1 ? '2^32 - 1' : String(v);
}

function shown(value: unknown, required: boolean | undefined): string {
  if (value === undefined) return required ? 'required' : '';
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) return 'all defaults';
  return `\`${JSON.stringify(value)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}

/** docs/spec.md: every field with its type, default and meaning, the defaults' size, and the limits. */
export function specMarkdown(): string {
  const table: Row[] = [];
  rows(specJsonSchema(), '', table);
  const minimal = parseSpec({ name: 'only-a-name' });
  const size = estimateRun(minimal);
  const { data, model, training } = minimal;
  return [
    '# Spec reference',
    '',
    '<!-- Generated from src/spec/schema.ts by `node scripts/spec-reference.mjs` (after `npm run build`); do not edit. A test fails while it is stale. -->',
    '',
    'A spec is a YAML or JSON file; `specbias spec FILE` validates it and prints it with every default filled in,',
    'and `specbias spec --schema` prints its JSON Schema (also in [`spec.schema.json`](spec.schema.json)). Every shipped',
    'pipeline starts with `# yaml-language-server: $schema=../docs/spec.schema.json`, so editors with the YAML language',
    'server complete and check fields as you type. `--set path=value` overrides one field from the command line.',
    '',
    '## A spec with only a name',
    '',
    "`name: x` alone is a valid spec, and it runs the paper's size: " +
      `D = ${data.dim}, n = ${data.n} training and ${data.nTest} test points, width m = ${model.width}, ` +
      `${training.steps.toLocaleString('en-US')} gradient-descent steps logged every ${training.logEvery}, ` +
      `and the ${data.n} x ${data.n} Gram eigendecomposition. That needs about ${bytes(size.memoryBytes)} of memory and ` +
      `${bytes(size.diskBytes)} of artifacts, and trains for about a minute on the native engine (2 ms a step on two cores, ` +
      '[performance.md](performance.md)), far longer on tfjs. ' +
      'For a first try, run `pipelines/quickstart.yaml`, or shrink the defaults: `--set training.steps=2000 --set model.width=1024`.',
    '',
    '## Fields',
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...table.map((r) => `| \`${r.field}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.meaning)} |`),
    '',
    'A distribution parameter left out gets a default that depends on `data.dim`, shown in the canonical spec',
    '(`specbias spec FILE`). Rules across fields: every vector (`zeta`, `direction`, `scales`, `mean`) has',
    '`data.dim` entries and is not all zero; a harmonics target gives each degree once; `model.width` is even',
    'with `init: symmetric`; `data.n` exceeds the number of target degree parts; `training.logEvery` is at',
    'most `training.steps`; a weighted piecewise-uniform region covers at least 1e-4 of the sphere. File data',
    '(`distribution.kind: file`) goes with a `column` target and back; its D is the number of `columns` (a given',
    '`data.dim` must equal it), `normalize` applies to it only, and the file itself is checked when it is read',
    '([real-data.md](real-data.md)).',
    '',
    '## Sweeps',
    '',
    '`sweep.grid` maps spec paths to lists of values, and every combination is one pipeline (a child workflow).',
    'A path may name any field of the schema, also an optional one the spec leaves out (`model.init`). Paths',
    'cannot be `name` or under `sweep`, and segments `__proto__`, `constructor` and `prototype` are refused',
    `(also in \`--set\`). Each list gives each value once. A sweep has at most ${MAX_SWEEP_POINTS.toLocaleString('en-US')} points.`,
    '',
    '## Size limits',
    '',
    `- A spec file is at most ${bytes(MAX_SPEC_BYTES)} (${MAX_SPEC_BYTES} bytes), and uses at most 100 YAML aliases.`,
    `- Every real number has magnitude at most ${MAX_MAGNITUDE}: sums of squares of larger values overflow.`,
    '  NaN and infinities (YAML `.nan`, `.inf`, `1e400`) are refused as "not a finite number".',
    '- Counts (`n`, `nTest`, `width`, `steps`, ...) are at most 2^31 - 1: artifact columns are int32.',
    "- Before anything starts, `specbias run` estimates the run's peak memory and artifact size",
    '  (`estimateResources` in `src/spec/resources.ts`, which documents the model: the Gram matrix and its',
    '  eigenvectors, 3 n^2 doubles; activations, 3 (L - 1) (n + nTest) m doubles with L = `model.depth`; the',
    '  weights, 4 P doubles with P = m (D + 1), or m (D + 1) + (L - 2) m (m + 1) + m + 1 for the model family (the',
    '  L - 2 hidden m x m layers and the biases), and',
    '  ten checkpoints of P doubles; the trajectory, (steps / logEvery + 1) (n + nTest) rows, in memory and',
    '  twice on disk). A spec that needs more memory',
    '  than the machine has (its cgroup limit when lower) or more disk than is free under the data root is',
    '  refused in one line naming the field and the estimate; `--allow-large` runs it anyway. An array longer',
    '  than the JavaScript engine can allocate (2^32 entries here: n > 65,536 with `spectrum.gram`) is refused',
    '  even with `--allow-large`. A sweep counts `sweep.concurrency` points at a time for memory and all its',
    '  points for disk.',
    '',
  ].join('\n');
}
