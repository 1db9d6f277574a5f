/**
 * The pipeline spec: its zod schema and defaults (DESIGN §5).
 *
 * Pure and deterministic, so workflow code may import it too. Loading files and `--set`
 * overrides live in `load.ts`; hashing in `hash.ts`.
 *
 *   const spec = parseSpec({ name: 'quickstart', data: { n: 200 } });   // defaults filled in
 */
import { z } from 'zod';
import { DISTRIBUTION_KINDS, DistributionError, withDistributionDefaults } from '../math/distributions.js';
import { expandGrid, hasPath, pointSpec } from './sweep.js';

export const ENGINES = ['auto', 'native', 'tfjs-wasm', 'tfjs-cpu', 'tfjs-node', 'tfjs-node-gpu'] as const;

const int = (min: number) => z.number().int().min(min);

/** A direction in R^D; normalized before use. Random from the seed when absent. */
const zeta = z.array(z.number().finite()).min(2).optional();

const harmonicComponent = z
  .object({
    degree: int(0).max(200),
    amplitude: z.number().finite(),
    zeta,
  })
  .strict();

/** sum_c a_c P_{k_c}(<zeta_c, x>): the paper's Figs. 1-2. */
const harmonicsTarget = z
  .object({
    kind: z.literal('harmonics'),
    components: z.array(harmonicComponent).min(1),
  })
  .strict();

/** cos(omega <zeta, x>): Fig. 3, every even degree present. */
const cosineTarget = z
  .object({
    kind: z.literal('cosine'),
    omega: z.number().finite().positive().default(4),
    zeta,
  })
  .strict();

/** sum_j c_j <zeta, x>^(2j): Fig. 3's polynomial, degrees 0, 2, ..., 2J. */
const evenPolyTarget = z
  .object({
    kind: z.literal('even-poly'),
    coefficients: z.array(z.number().finite()).min(1).max(25).default([0, 1, 1]),
    zeta,
  })
  .strict();

// Parameters are checked by src/math/distributions.ts, which also fills the defaults (they
// depend on dim); see checkDistribution below.
const distribution = z
  .object({ kind: z.enum(DISTRIBUTION_KINDS as unknown as [string, ...string[]]) })
  .catchall(z.unknown());

const dataSchema = z
  .object({
    dim: int(2).max(1000).default(10),
    n: int(1).default(1000),
    nTest: int(0).default(1000),
    distribution: distribution.prefault({ kind: 'uniform' }),
    target: z.discriminatedUnion('kind', [harmonicsTarget, cosineTarget, evenPolyTarget]).prefault({
      kind: 'harmonics',
      components: [
        { degree: 1, amplitude: 1 },
        { degree: 2, amplitude: 1 },
        { degree: 4, amplitude: 1 },
      ],
    }),
  })
  .strict();

const modelSchema = z
  .object({
    width: int(1).default(4096),
    theta: z.number().finite().positive().default(1),
    /** 'gaussian' (the paper's, the default when absent) or 'symmetric' (paired neurons, f_0 = 0). */
    init: z.enum(['gaussian', 'symmetric']).optional(),
  })
  .strict();

const trainingSchema = z
  .object({
    steps: int(1).default(20000),
    learningRate: z.number().finite().positive().default(1),
    logEvery: int(1).default(10),
    engine: z.enum(ENGINES).default('auto'),
    /** 'geometric' (the default when absent): the uniform logs plus floor(1.25^k) up to 4 logEvery; 'uniform': only every logEvery. */
    logSchedule: z.enum(['geometric', 'uniform']).optional(),
  })
  .strict();

const spectrumSchema = z
  .object({
    maxDegree: int(0).max(50).default(8),
    gram: z.boolean().default(true),
  })
  .strict();

/** What the analysis computes beside the network. */
const analysisSchema = z
  .object({
    /**
     * The kernel-regime twins: 'infinite' (the analytic kappa Gram) and 'init' (the network's own
     * empirical NTK at its initial weights, O(n^2 m D) to build). Absent: both.
     */
    twins: z.array(z.enum(['infinite', 'init'])).min(1).optional(),
  })
  .strict();

const sweepSchema = z
  .object({
    grid: z.record(z.string(), z.array(z.unknown()).min(1)),
    concurrency: int(1).default(2),
  })
  .strict();

export const pipelineSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64 characters')
      .default('pipeline'),
    seed: int(0).max(2 ** 32 - 1).default(0),
    /** Run this many independent seeds (seed, seed + 1, ...) as child pipelines and summarize them (absent: 1). */
    replicates: int(1).max(1000).optional(),
    data: dataSchema.prefault({}),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    spectrum: spectrumSchema.prefault({}),
    analysis: analysisSchema.optional(),
    sweep: sweepSchema.optional(),
  })
  .strict();

export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;

/** A spec that failed validation; `field` is the dotted path of the first offending field. */
export class SpecError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}invalid spec${field ? ` at ${field}` : ''}: ${detail}`);
    this.name = 'SpecError';
  }
}

/** Validate and fill defaults; throws {@link SpecError} naming the first bad field. */
export function parseSpec(raw: unknown, file?: string): PipelineSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecError('', `expected a mapping of fields, got ${raw === null ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}`, file);
  }
  const result = pipelineSpecSchema.safeParse(raw);
  if (result.success) return checkCrossFields(result.data, file);
  const issue = result.error.issues[0]!;
  throw new SpecError(issuePath(issue), describeIssue(issue, raw), file);
}

function checkCrossFields(spec: PipelineSpec, file?: string): PipelineSpec {
  const { dim, target } = spec.data;
  if (target.kind === 'harmonics') {
    const degrees = target.components.map((c) => c.degree);
    const dup = degrees.find((d, i) => degrees.indexOf(d) !== i);
    if (dup !== undefined) {
      throw new SpecError('data.target.components', `degree ${dup} appears twice; give each degree once`, file);
    }
    target.components.forEach((c, i) => checkZeta(c.zeta, dim, `data.target.components.${i}.zeta`, file));
  } else {
    checkZeta(target.zeta, dim, 'data.target.zeta', file);
  }
  if (spec.model.init === 'symmetric' && spec.model.width % 2 !== 0) {
    throw new SpecError('model.width', `must be even with model.init = symmetric (neurons come in pairs), got ${spec.model.width}`, file);
  }
  spec.data.distribution = checkDistribution(spec.data.distribution, dim, file);
  if (spec.sweep) checkSweep(spec, file);
  return spec;
}

/** Every grid path must name a field, and every point must be a valid pipeline spec. */
function checkSweep(spec: PipelineSpec, file?: string): void {
  const grid = spec.sweep!.grid;
  const paths = Object.keys(grid);
  if (paths.length === 0) throw new SpecError('sweep.grid', 'is empty; give at least one path with a list of values', file);
  for (const path of paths) {
    if (path === 'sweep' || path.startsWith('sweep.') || path === 'name') throw new SpecError(`sweep.grid.${path}`, 'cannot be swept', file);
    if (!hasPath(spec, path)) throw new SpecError(`sweep.grid.${path}`, `no field "${path}" in the spec; grid keys are spec paths such as model.width`, file);
  }
  for (const point of expandGrid(grid)) {
    try {
      parseSpec(pointSpec(spec as unknown as Record<string, unknown>, point));
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      throw new SpecError(`sweep.grid (point ${JSON.stringify(point)})`, `${err.field ? `${err.field}: ` : ''}${err.detail}`, file);
    }
  }
}

function checkZeta(zeta: number[] | undefined, dim: number, field: string, file?: string): void {
  if (zeta === undefined) return;
  if (zeta.length !== dim) throw new SpecError(field, `has ${zeta.length} entries, expected data.dim = ${dim}`, file);
  if (zeta.every((v) => v === 0)) throw new SpecError(field, 'is the zero vector; give a direction', file);
}

/** Fill the distribution's dim-dependent defaults, so the canonical spec shows every parameter. */
function checkDistribution(dist: PipelineSpec['data']['distribution'], dim: number, file?: string): PipelineSpec['data']['distribution'] {
  try {
    return withDistributionDefaults(dist as { kind: string }, dim) as PipelineSpec['data']['distribution'];
  } catch (err) {
    if (err instanceof DistributionError) {
      const param = err.parameter.includes('.') ? err.parameter.slice(err.parameter.indexOf('.') + 1) : err.parameter;
      throw new SpecError(`data.distribution.${param}`, err.detail, file);
    }
    throw err;
  }
}

function issuePath(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]!);
  return path.join('.');
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field "${issue.keys[0]}"; check the spelling against DESIGN §5 (specbias spec --help)`;
    case 'invalid_union':
    case 'invalid_value':
      if (issue.path.at(-1) === 'kind' || issue.code === 'invalid_union') {
        return `unknown kind ${shown}; expected ${issue.code === 'invalid_value' ? issue.values.map((v) => JSON.stringify(v)).join(' | ') : 'one of the documented kinds'}`;
      }
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${shown}`;
    case 'too_small':
      return `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}, got ${shown}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}, got ${shown}`;
    case 'invalid_type':
      if (issue.expected === 'int') return `expected an integer, got ${shown}`;
      return `expected ${issue.expected}, got ${got === undefined ? 'nothing' : `${Array.isArray(got) ? 'array' : typeof got} ${shown}`}`;
    default:
      return `${issue.message} (got ${shown})`;
  }
}
