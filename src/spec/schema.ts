/**
 * The pipeline spec: its zod schema, defaults and every rule a spec must follow. This schema is
 * the only spec validator: field types and ranges, the distribution parameters (which depend on
 * `data.dim`), the cross-field rules and the sweep grid are all checked here, and
 * `docs/spec.md` and `docs/spec.schema.json` are generated from it (`.describe()` texts).
 *
 * Pure and deterministic, so workflow code may import it too. Loading files and `--set`
 * overrides live in `load.ts`; hashing in `hash.ts`.
 *
 *   const spec = parseSpec({ name: 'quickstart', data: { n: 200 } });   // defaults filled in
 */
import { z } from 'zod';
import { capFraction, DISTRIBUTION_DEFAULTS, MIN_REGION_FRACTION, type Distribution } from '../math/distributions.js';
import { badPathReason, gridPointSpecs, gridSize, MAX_SWEEP_POINTS } from './grid.js';
import { ACTIVATIONS, MAX_DEPTH } from '../math/ntk-family.js';

export const ENGINES = ['auto', 'native', 'tfjs-wasm', 'tfjs-cpu', 'tfjs-node', 'tfjs-node-gpu'] as const;

/**
 * Largest magnitude of any real spec value. Targets and weights are squared and summed; above
 * this, sums of squares could overflow to Infinity and training would "diverge" for no reason
 * of its own.
 */
export const MAX_MAGNITUDE = 1e100;

/** Step and index columns of the artifacts are int32. */
const MAX_INT32 = 2 ** 31 - 1;

const int = (min: number, max = MAX_INT32) => z.number().int().min(min).max(max);
const real = () => z.number().min(-MAX_MAGNITUDE).max(MAX_MAGNITUDE);
const positive = () => z.number().positive().max(MAX_MAGNITUDE);
const nonNegative = () => z.number().min(0).max(MAX_MAGNITUDE);

/** A direction in R^D; normalized before use. Random from the seed when absent. */
const zeta = z
  .array(real())
  .min(2)
  .optional()
  .describe('direction in R^D (length data.dim, not all zero), normalized before use; random from the seed when absent');

const harmonicComponent = z
  .object({
    degree: int(0, 200).describe('degree k of the zonal harmonic P_k(<zeta, x>)'),
    amplitude: real().describe('its coefficient a_k'),
    zeta,
  })
  .strict();

/** sum_c a_c P_{k_c}(<zeta_c, x>): the paper's Figs. 1-2. */
const harmonicsTarget = z
  .object({
    kind: z.literal('harmonics'),
    components: z.array(harmonicComponent).min(1).describe('the terms a_k P_k(<zeta_k, x>); each degree at most once'),
  })
  .strict()
  .describe("sum of zonal harmonics sum_c a_c P_{k_c}(<zeta_c, x>) (the paper's Figs. 1-2)");

/** cos(omega <zeta, x>): Fig. 3, every even degree present. */
const cosineTarget = z
  .object({
    kind: z.literal('cosine'),
    omega: positive().default(4).describe('frequency omega'),
    zeta,
  })
  .strict()
  .describe("cos(omega <zeta, x>): every even degree present (the paper's Fig. 3)");

/** sum_j c_j <zeta, x>^(2j): Fig. 3's polynomial, degrees 0, 2, ..., 2J. */
const evenPolyTarget = z
  .object({
    kind: z.literal('even-poly'),
    coefficients: z.array(real()).min(1).max(25).default([0, 1, 1]).describe('c_0, c_1, ..., c_J of sum_j c_j <zeta, x>^(2j)'),
    zeta,
  })
  .strict()
  .describe("even polynomial sum_j c_j <zeta, x>^(2j): degrees 0, 2, ..., 2J (the paper's Fig. 3)");

// Distributions: parameters left out get dim-dependent defaults (DISTRIBUTION_DEFAULTS) after
// parsing; the dim-dependent rules (vector lengths, region sizes) are checked on `data`.
const uniformDistribution = z
  .object({ kind: z.literal('uniform') })
  .strict()
  .describe('uniform on the sphere S^(D-1)');

const piecewiseUniformDistribution = z
  .object({
    kind: z.literal('piecewise-uniform'),
    direction: z.array(real()).optional().describe('u (length data.dim, not all zero); e_1 when absent'),
    threshold: real().min(-1).max(1).optional().describe('h: region A is {x : <u, x> >= h}, region B the rest; default 0 (hemispheres)'),
    weights: z.tuple([nonNegative(), nonNegative()]).optional().describe('masses of regions A and B (not both 0); default [0.8, 0.2]'),
  })
  .strict()
  .describe("uniform within each of two regions split by <u, x> = h, with chosen masses (the paper's Fig. 4)");

const anisotropicGaussianDistribution = z
  .object({
    kind: z.literal('anisotropic-gaussian'),
    scales: z.array(positive()).optional().describe('standard deviation per axis (length data.dim); default geometric from 2 down to 0.5'),
  })
  .strict()
  .describe("z / ||z|| with z ~ N(0, diag(scales^2)) (the paper's Fig. 5)");

const mixtureComponent = z
  .object({
    weight: nonNegative().describe('relative probability of the component'),
    mean: z.array(real()).describe('mean in R^D (length data.dim)'),
    scale: positive().describe('isotropic standard deviation'),
  })
  .strict();

const gaussianMixtureDistribution = z
  .object({
    kind: z.literal('gaussian-mixture'),
    components: z
      .array(mixtureComponent)
      .min(1)
      .optional()
      .describe('the components (not all weights 0); default two at +-2 e_1 with weights [0.5, 0.5] and scale sqrt(2.5 / D)'),
  })
  .strict()
  .describe("z / ||z|| with z from a Gaussian mixture (the paper's Fig. 6)");

const fileDistribution = z
  .object({
    kind: z.literal('file'),
    path: z
      .string()
      .min(1)
      .describe(
        'a Parquet (.parquet), CSV (.csv) or Arrow IPC/Feather (.arrow, .feather, .ipc) file; relative to the working directory of the worker',
      ),
    columns: z
      .array(z.string().min(1))
      .min(2)
      .describe('the numeric input columns, in order: D = their number; each row is mapped onto S^(D-1) by data.normalize'),
  })
  .strict()
  .describe('rows of your own file (docs/real-data.md): all rows, or data.n + data.nTest of them after a seeded shuffle');

const distribution = z.discriminatedUnion('kind', [
  uniformDistribution,
  piecewiseUniformDistribution,
  anisotropicGaussianDistribution,
  gaussianMixtureDistribution,
  fileDistribution,
]);

/** A target read from a numeric column of the data file (only with distribution kind file). */
const columnTarget = z
  .object({
    kind: z.literal('column'),
    name: z.string().min(1).describe('the numeric target column of data.distribution.path'),
  })
  .strict()
  .describe('the values of a column of the data file (needs distribution kind file); it has no degree parts');

/** How file rows are mapped onto the sphere. */
export const NORMALIZATIONS = ['normalize', 'standardize-then-normalize'] as const;

const dataSchema = z
  .object({
    dim: int(2, 1000)
      .optional()
      .describe(
        'input dimension D; inputs lie on the unit sphere S^(D-1). Default 10; with file data, the number of columns (a given dim must equal it)',
      ),
    n: int(2).optional().describe('training points (the Gram matrix is n x n). Default 1000; with file data, every row not held out'),
    nTest: int(0).optional().describe('held-out test points. Default 1000; with file data, 0'),
    normalize: z
      .enum(NORMALIZATIONS)
      .optional()
      .describe(
        "file data only: 'normalize' (x / |x|, the default; a zero row is refused) or 'standardize-then-normalize' (z-score each column over the training rows, then x / |x|)",
      ),
    distribution: distribution
      .prefault({ kind: 'uniform' })
      .describe('input distribution on the sphere; parameters left out get defaults that depend on D'),
    target: z
      .discriminatedUnion('kind', [harmonicsTarget, cosineTarget, evenPolyTarget, columnTarget])
      .prefault({
        kind: 'harmonics',
        components: [
          { degree: 1, amplitude: 1 },
          { degree: 2, amplitude: 1 },
          { degree: 4, amplitude: 1 },
        ],
      })
      .describe('target function f*(x); the default is P_1 + P_2 + P_4 on random directions'),
  })
  .strict()
  .superRefine((data, ctx) => checkFileData(data, ctx))
  .transform((data) => {
    const file = data.distribution.kind === 'file';
    const dim = file ? (data.distribution as { columns: string[] }).columns.length : (data.dim ?? 10);
    return {
      ...data,
      dim,
      // File data with n absent: every row not held out, known once the file is read (dataTrainCount).
      n: file ? data.n : (data.n ?? 1000),
      nTest: data.nTest ?? (file ? 0 : 1000),
      normalize: file ? (data.normalize ?? 'normalize') : data.normalize,
      distribution: withDistributionDefaults(data.distribution, dim),
    };
  })
  .superRefine((data, ctx) => checkData(data, ctx));

const modelSchema = z
  .object({
    width: int(1).default(4096).describe('hidden width m of the two-layer ReLU network'),
    theta: positive().default(1).describe('output scale theta: y_hat = theta sqrt(m) W2 relu(W1 x)'),
    init: z
      .enum(['gaussian', 'symmetric'])
      .optional()
      .describe("'gaussian' (the paper's, when absent) or 'symmetric' (paired neurons, so f_0 = 0; width must be even)"),
    // The model family (docs/science.md): absent means the paper's 2, 0, relu; an explicit default is dropped so both spellings hash alike.
    depth: int(2)
      .max(MAX_DEPTH)
      .optional()
      .transform((v) => (v === 2 ? undefined : v))
      .describe('weight layers L (default 2, the paper)'),
    bias: z
      .number()
      .finite()
      .min(0)
      .optional()
      .transform((v) => (v === 0 ? undefined : v))
      .describe('bias scale beta >= 0 (default 0)'),
    activation: z
      .enum(ACTIVATIONS)
      .optional()
      .transform((v) => (v === 'relu' ? undefined : v))
      .describe("activation: 'relu' (default), 'erf', 'tanh' or 'gelu'"),
  })
  .strict();

const trainingSchema = z
  .object({
    steps: int(1).default(20000).describe('full-batch gradient-descent steps'),
    learningRate: positive().default(1).describe("NTK-scaled learning rate eta'; the weight step is eta' / (m theta^2)"),
    logEvery: int(1).default(10).describe('record the residual every this many steps (and at the last); at most training.steps'),
    engine: z.enum(ENGINES).default('auto').describe('training engine; auto picks the native addon when built, else tfjs'),
    logSchedule: z
      .enum(['geometric', 'uniform'])
      .optional()
      .describe("'geometric' (default): the uniform logs plus floor(1.25^k) up to 4 logEvery; 'uniform': only every logEvery"),
    optimizer: z
      .enum(['gd', 'sgd', 'adam'])
      .optional()
      // gd is stored as absent, so that a gd spec keeps its hash and its cache keys.
      .transform((v) => (v === 'gd' ? undefined : v))
      .describe(
        "'gd' (full-batch gradient descent, the default), 'sgd' (mini-batches, step eta' / (m theta^2) on the batch mean) or 'adam' (lr = eta' / (m theta); no kernel twin); sgd and adam need the native engine",
      ),
    batchSize: int(1).optional().describe('sgd and adam: points per mini-batch, 1..data.n (default data.n: full batch)'),
    momentum: z.number().min(0).lt(1).optional().describe('sgd only: heavy-ball momentum in [0, 1) (default 0)'),
    beta1: z.number().min(0).lt(1).optional().describe("adam only: the first moment's decay in [0, 1) (default 0.9)"),
    beta2: z.number().min(0).lt(1).optional().describe("adam only: the second moment's decay in [0, 1) (default 0.999)"),
    eps: positive().optional().describe("adam only: the denominator's epsilon, > 0 (default 1e-8)"),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.logEvery > t.steps) {
      issue(ctx, ['logEvery'], `must be <= training.steps = ${t.steps}, got ${t.logEvery}; a rate needs logged steps after step 0`);
    }
    const only: Record<'batchSize' | 'momentum' | 'beta1' | 'beta2' | 'eps', readonly string[]> = {
      batchSize: ['sgd', 'adam'],
      momentum: ['sgd'],
      beta1: ['adam'],
      beta2: ['adam'],
      eps: ['adam'],
    };
    for (const [field, allowed] of Object.entries(only)) {
      const optimizer = t.optimizer ?? 'gd';
      if (t[field as keyof typeof only] !== undefined && !allowed.includes(optimizer)) {
        issue(ctx, [field], `applies to training.optimizer ${allowed.join(' or ')} only, not ${optimizer}`);
      }
    }
    if (t.optimizer !== undefined && t.engine.startsWith('tfjs')) {
      issue(
        ctx,
        ['optimizer'],
        `${t.optimizer} needs the native engine (the tfjs engines train full-batch gd only), got engine ${t.engine}`,
      );
    }
  });

const spectrumSchema = z
  .object({
    maxDegree: int(0, 50).default(8).describe('highest degree k of the analytic NTK spectrum and of the zonal expansions'),
    gram: z
      .boolean()
      .default(true)
      .describe('also eigendecompose the n x n Gram matrix K/n (needed for eigenspace projections and the kernel twin)'),
  })
  .strict();

/** What the analysis computes beside the network. */
const analysisSchema = z
  .object({
    /**
     * The kernel-regime twins: 'infinite' (the analytic kappa Gram) and 'init' (the network's own
     * empirical NTK at its initial weights, O(n^2 m D) to build). Absent: both.
     */
    twins: z
      .array(z.enum(['infinite', 'init']))
      .min(1)
      .optional()
      .describe(
        "kernel-regime twins: 'infinite' (the analytic kappa Gram) and 'init' (the network's empirical NTK at its initial weights); default both",
      ),
  })
  .strict();

const sweepSchema = z
  .object({
    grid: z
      .record(z.string(), z.array(z.unknown()).min(1))
      .describe(
        `maps spec paths (such as model.width or seed) to lists of values; every combination is one pipeline, at most ${MAX_SWEEP_POINTS} in all`,
      ),
    concurrency: int(1).default(2).describe('points that run at the same time'),
  })
  .strict()
  .describe('run every point of a grid as its own pipeline');

export const pipelineSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64 characters')
      .default('pipeline')
      .describe('names the run: the run id is <name>-<first 12 hex digits of the spec hash>'),
    seed: int(0, 2 ** 32 - 1)
      .default(0)
      .describe('seed of every random stream (sample, target directions, initial weights)'),
    replicates: int(1, 1000)
      .optional()
      .describe('run this many independent seeds (seed, seed + 1, ...) as child pipelines and summarize them (default 1)'),
    data: dataSchema.prefault({}).describe('the training and test sample and its target'),
    model: modelSchema.prefault({}).describe('the two-layer ReLU network'),
    training: trainingSchema.prefault({}).describe('gradient descent: full-batch gd, sgd or adam'),
    spectrum: spectrumSchema.prefault({}).describe('the NTK spectrum to compare with'),
    analysis: analysisSchema.optional().describe('what the analysis computes beside the network'),
    sweep: sweepSchema.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => checkSpec(spec, ctx));

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
    throw new SpecError(
      '',
      `expected a mapping of fields, got ${raw === null ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}`,
      file,
    );
  }
  const result = pipelineSpecSchema.safeParse(raw);
  if (result.success) return result.data;
  const { field, detail } = firstIssue(result.error, raw);
  throw new SpecError(field, detail, file);
}

// ---- Rules across fields --------------------------------------------------------------------

type Ctx = z.core.$RefinementCtx;
type Data = Omit<z.output<typeof dataSchema>, 'distribution'> & { distribution: Distribution };

function issue(ctx: Ctx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/** The rules of file data, before defaults: D is the number of columns, a column target goes with a file. */
function checkFileData(
  data: { dim?: number | undefined; normalize?: string | undefined; distribution: { kind: string }; target: { kind: string } },
  ctx: Ctx,
): void {
  const dist = data.distribution;
  if (dist.kind !== 'file') {
    if (data.target.kind === 'column')
      issue(ctx, ['target', 'kind'], 'column needs data.distribution.kind = file (a column of your data file)');
    if (data.normalize !== undefined) issue(ctx, ['normalize'], 'applies to file data only (data.distribution.kind = file)');
    return;
  }
  const { columns } = dist as unknown as { columns: string[] };
  if (data.dim !== undefined && data.dim !== columns.length) {
    issue(ctx, ['dim'], `must equal the number of data.distribution.columns (${columns.length}), got ${data.dim}; or leave it out`);
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) issue(ctx, ['distribution', 'columns'], `column "${c}" appears twice; give each column once`);
    seen.add(c);
  }
  if (data.target.kind !== 'column') {
    issue(ctx, ['target', 'kind'], `must be column with file data (a target column of the file), got ${JSON.stringify(data.target.kind)}`);
  } else if (seen.has((data.target as unknown as { name: string }).name)) {
    issue(
      ctx,
      ['target', 'name'],
      `"${(data.target as unknown as { name: string }).name}" is also an input column; the target must be another column`,
    );
  }
}

/** Fill the parameters a distribution leaves out from DISTRIBUTION_DEFAULTS for this dim; given ones are kept whole. */
function withDistributionDefaults(dist: { kind: Distribution['kind'] }, dim: number): Distribution {
  const filled: Record<string, unknown> = { ...DISTRIBUTION_DEFAULTS[dist.kind](dim) };
  for (const [key, value] of Object.entries(dist)) if (value !== undefined) filled[key] = value;
  return filled as unknown as Distribution;
}

/** The rules of `data` that depend on `dim`: vector lengths, zero vectors, region sizes, masses. */
function checkData(data: Data, ctx: Ctx): void {
  const { dim, target } = data;
  const vector = (v: number[] | undefined, path: PropertyKey[], zeroHint: string) => {
    if (v === undefined) return;
    if (v.length !== dim) issue(ctx, path, `has ${v.length} entries, expected data.dim = ${dim}`);
    else if (v.every((x) => x === 0)) issue(ctx, path, `is the zero vector; ${zeroHint}`);
  };
  if (target.kind === 'column') {
    // Checked with the file (checkFileData); nothing depends on dim.
  } else if (target.kind === 'harmonics') {
    const seen = new Set<number>();
    for (const c of target.components) {
      if (seen.has(c.degree)) issue(ctx, ['target', 'components'], `degree ${c.degree} appears twice; give each degree once`);
      seen.add(c.degree);
    }
    target.components.forEach((c, i) => vector(c.zeta, ['target', 'components', i, 'zeta'], 'give a direction'));
  } else {
    vector(target.zeta, ['target', 'zeta'], 'give a direction');
  }

  const dist = data.distribution;
  const at = (...p: PropertyKey[]) => ['distribution', ...p];
  switch (dist.kind) {
    case 'uniform':
    case 'file':
      return;
    case 'piecewise-uniform': {
      vector(dist.direction, at('direction'), 'give a nonzero direction or leave it out for e_1');
      const [wA, wB] = dist.weights;
      if (wA + wB <= 0) return issue(ctx, at('weights'), 'are both 0; at least one region needs mass');
      const fractionA = capFraction(dim, dist.threshold);
      const regions: Array<[string, number, number]> = [
        ['A (<u, x> >= threshold)', wA, fractionA],
        ['B (<u, x> < threshold)', wB, 1 - fractionA],
      ];
      for (const [name, weight, fraction] of regions) {
        if (weight > 0 && !(fraction >= MIN_REGION_FRACTION)) {
          return issue(
            ctx,
            at('threshold'),
            `= ${dist.threshold} leaves region ${name} only ${fraction.toExponential(2)} of the sphere at dim ${dim}, ` +
              `so rejection sampling would need ~${(1 / Math.max(fraction, Number.MIN_VALUE)).toExponential(1)} draws per point; ` +
              `move the threshold so that each weighted region covers at least ${MIN_REGION_FRACTION} of the sphere, or give that region weight 0`,
          );
        }
      }
      return;
    }
    case 'anisotropic-gaussian':
      if (dist.scales.length !== dim) issue(ctx, at('scales'), `has ${dist.scales.length} entries, expected data.dim = ${dim}`);
      return;
    case 'gaussian-mixture': {
      dist.components.forEach((c, i) => {
        if (c.mean.length !== dim) issue(ctx, at('components', i, 'mean'), `has ${c.mean.length} entries, expected data.dim = ${dim}`);
      });
      if (!dist.components.some((c) => c.weight > 0)) issue(ctx, at('components'), 'have all weights 0; at least one component needs mass');
      return;
    }
  }
}

/** How many degree parts the target has (an upper bound for cosine and even-poly, whose odd parts vanish). */
function targetDegreeCount(target: PipelineSpec['data']['target'], maxDegree: number): number {
  if (target.kind === 'harmonics') return target.components.length;
  if (target.kind === 'column') return 0;
  const even = Math.floor(maxDegree / 2) + 1;
  return target.kind === 'cosine' ? even : Math.min(even, target.coefficients.length);
}

function checkSpec(spec: PipelineSpec, ctx: Ctx): void {
  if (spec.model.init === 'symmetric' && spec.model.width % 2 !== 0) {
    issue(ctx, ['model', 'width'], `must be even with model.init = symmetric (neurons come in pairs), got ${spec.model.width}`);
  }
  const degrees = targetDegreeCount(spec.data.target, spec.spectrum.maxDegree);
  if (spec.data.n !== undefined && spec.data.n <= degrees) {
    issue(
      ctx,
      ['data', 'n'],
      `must be more than the target's ${degrees} degree parts (n points hold at most n independent parts), got ${spec.data.n}`,
    );
  }
  const n = spec.data.distribution.kind === 'file' ? spec.data.n : (spec.data.n ?? 1000);
  if (spec.training.batchSize !== undefined && n !== undefined && spec.training.batchSize > n) {
    issue(ctx, ['training', 'batchSize'], `must be <= data.n = ${n}, got ${spec.training.batchSize}`);
  }
  checkModelFamily(spec, ctx);
  if (spec.sweep) checkSweep(spec, spec.sweep, ctx);
  if ((spec.replicates ?? 1) > 1 && spec.sweep && 'seed' in spec.sweep.grid) {
    issue(ctx, ['replicates'], 'cannot be combined with a sweep grid that varies seed; use one or the other');
  }
}

/** A member of the family other than the paper's starts from N(0, 1) weights and trains with gd or sgd. */
function checkModelFamily(spec: PipelineSpec, ctx: Ctx): void {
  const { model } = spec;
  if (model.depth === undefined && model.bias === undefined && model.activation === undefined) return;
  if (model.init === 'symmetric')
    issue(
      ctx,
      ['model', 'init'],
      "symmetric is defined for the paper's network only (depth 2, bias 0, relu); the model family starts from N(0, 1) weights",
    );
  if (spec.training.optimizer === 'adam')
    issue(
      ctx,
      ['training', 'optimizer'],
      'adam is not defined for the model family (model.depth, model.bias, model.activation): use gd or sgd',
    );
}

/** Every grid path must name a field, values must differ, and every point must be a valid spec. Linear in the grid. */
function checkSweep(spec: PipelineSpec, sweep: NonNullable<PipelineSpec['sweep']>, ctx: Ctx): void {
  const grid = sweep.grid;
  const paths = Object.keys(grid);
  if (paths.length === 0) return issue(ctx, ['sweep', 'grid'], 'is empty; give at least one path with a list of values');
  for (const path of paths) {
    const at = ['sweep', 'grid', path];
    const bad = badPathReason(path);
    if (bad) return issue(ctx, at, `the path ${bad}`);
    if (path === 'sweep' || path.startsWith('sweep.') || path === 'name' || path === 'replicates') return issue(ctx, at, 'cannot be swept');
    if (!isSpecPath(path)) return issue(ctx, at, `no field "${path}" in the spec; grid keys are spec paths such as model.width`);
    const seen = new Set<string>();
    for (const value of grid[path]!) {
      const key = stableJson(value);
      if (seen.has(key))
        return issue(ctx, at, `value ${key.length > 80 ? `${key.slice(0, 77)}...` : key} appears twice; give each value once`);
      seen.add(key);
    }
  }
  const size = gridSize(grid);
  if (size > MAX_SWEEP_POINTS) {
    return issue(
      ctx,
      ['sweep', 'grid'],
      `has ${size} points (the product of its list lengths), more than the limit of ${MAX_SWEEP_POINTS}; split the sweep`,
    );
  }
  for (const point of gridPointSpecs(spec as unknown as Record<string, unknown>)) {
    const result = pipelineSpecSchema.safeParse(point.spec);
    if (!result.success) {
      const { field, detail } = firstIssue(result.error, point.spec);
      return issue(ctx, ['sweep', `grid (point ${JSON.stringify(point.params)})`], `${field ? `${field}: ` : ''}${detail}`);
    }
  }
}

/** JSON with object keys sorted, so that `{a: 1, b: 2}` and `{b: 2, a: 1}` count as one grid value. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
    .join(',')}}`;
}

// ---- Walking the schema ---------------------------------------------------------------------

/** The object schemas a value at `path` may follow (several inside a union), unwrapping defaults, optionals and pipes. */
function schemasAt(path: readonly PropertyKey[]): z.ZodType[] {
  let nodes: z.ZodType[] = [pipelineSpecSchema];
  for (const key of path) {
    const next: z.ZodType[] = [];
    for (const node of nodes.flatMap(objectsOf)) {
      const shape = (node as z.ZodObject).shape as Record<string, z.ZodType>;
      if (typeof key === 'string' && Object.hasOwn(shape, key)) next.push(shape[key]!);
    }
    nodes = next;
  }
  return nodes;
}

/** The object schemas behind a schema: itself, its options, or what it wraps. */
function objectsOf(schema: z.ZodType): z.ZodType[] {
  const def = schema._zod.def as unknown as { type: string; innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] };
  switch (def.type) {
    case 'object':
      return [schema];
    case 'union':
      return def.options!.flatMap(objectsOf);
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return objectsOf(def.innerType!);
    case 'pipe':
      return objectsOf(def.in!);
    default:
      return [];
  }
}

/** Does a dotted path name a field the schema defines (set in this spec or not)? */
export function isSpecPath(path: string): boolean {
  return schemasAt(path.split('.')).length > 0;
}

// ---- Messages -------------------------------------------------------------------------------

function firstIssue(error: z.ZodError, raw: unknown): { field: string; detail: string } {
  const first = error.issues[0]!;
  return { field: issuePath(first), detail: describeIssue(first, raw) };
}

function issuePath(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]!);
  return path.join('.');
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  const shown = show(got);
  switch (issue.code) {
    case 'custom':
      return issue.message;
    case 'unrecognized_keys': {
      // Inside a union, the fields of the variant this mapping's kind names.
      const kind = (got as { kind?: unknown } | undefined)?.kind;
      const objects = schemasAt(issue.path).flatMap(objectsOf);
      const variant = objects.filter((o) => ((o as z.ZodObject).shape.kind as { value?: unknown } | undefined)?.value === kind);
      const fields = [...new Set((variant.length ? variant : objects).flatMap((o) => Object.keys((o as z.ZodObject).shape)))];
      return `unknown field "${issue.keys[0]}"; expected one of ${fields.join(', ')} (docs/spec.md)`;
    }
    case 'invalid_union':
    case 'invalid_value':
      if (issue.path.at(-1) === 'kind' || issue.code === 'invalid_union') {
        const options = issue.code === 'invalid_value' ? issue.values : ((issue as { options?: unknown[] }).options ?? []);
        return `unknown kind ${shown}; expected ${options.length ? options.map((v) => JSON.stringify(v)).join(' | ') : 'one of the documented kinds'}`;
      }
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${shown}`;
    case 'too_small':
      return `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}, got ${shown}`;
    case 'too_big':
      if (issue.origin === 'number' && issue.maximum === MAX_MAGNITUDE)
        return `is too large: |value| must be <= ${MAX_MAGNITUDE} (larger values overflow when squared), got ${shown}`;
      return `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}, got ${shown}`;
    case 'invalid_type':
      if (typeof got === 'number' && !Number.isFinite(got)) return `not a finite number, got ${got}`;
      if (issue.expected === 'int') return `expected an integer, got ${shown}`;
      return `expected ${issue.expected}, got ${got === undefined ? 'nothing' : `${Array.isArray(got) ? 'array' : typeof got} ${shown}`}`;
    default:
      return `${issue.message} (got ${shown})`;
  }
}
