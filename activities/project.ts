/**
 * Activity `projectResiduals`: per-degree projections of the residual at every logged step, on
 * train and test, for the network and for its kernel-regime twin, as `projections.arrow`
 * (split, step, degree, kind, source, value).
 *
 * Kinds (DESIGN §7):
 * - `target`: |v̂_kᵀ r_t|, v̂_k the unit vector of the degree-k target part (Cao et al., Figs. 1-2);
 * - `eigenspace`: ||U_kᵀ r_t||, U_k the K/n eigenvectors of degree k's cluster (Theorem 4.2;
 *   train only, any distribution);
 * - `harmonic`: sqrt of the energy of r_t in all degree-k harmonics, by the off-diagonal
 *   U-statistic (N(D,k)/(n(n-1))) sum_{i != j} r_i r_j P_k(<x_i, x_j>) (0 where it is negative)
 *   (uniform data only, where the harmonics are the eigenfunctions).
 * Sources: `network` (the trained net's residuals), `kernel` (the infinite-width twin,
 * r_t = U (1 - eta' Λ)^t Uᵀ r_0 with K/n = U Λ Uᵀ the analytic Gram, from the network's own r_0 on
 * the same sample; needs spectrum.gram) and `init` (the finite-width twin: the same on the
 * network's empirical NTK at its initial weights, Θ̂₀/n; src/math/finite-width-twin.ts).
 * `analysis.twins` picks the twins (absent: both).
 */
import { kernelResiduals, kernelTestResiduals, ntkCross } from '../src/math/kernel-regime.js';
import { finiteWidthTwin } from '../src/math/finite-width-twin.js';
import { initialWeights } from '../src/model/network.js';
import { eigenspaceProjection, harmonicEnergyOffDiagonal, zonalKernel } from '../src/math/eigenspace.js';
import { targetProjection, unitVector } from '../src/math/projection.js';
import { contentKey } from '../src/store/canonical-json.js';
import { readFloat64, readInt32, readStrings, tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';
import { readSamples, type Samples } from './sample.js';

export const PROJECT_STEP = { name: 'project', version: 3 } as const;

/** Kernel-twin steps computed between two turns of the event loop. */
const KERNEL_BATCH = 20;
/** The projection loops are long synchronous math: hand the event loop a turn this often (ms) so heartbeats go out. */
const YIELD_EVERY_MS = 20;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ProjectResidualsInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  trajectory: ArtifactRef;
  /** gram.arrow and gram-vectors.f64 of the spectrum step; null when spectrum.gram is off. */
  gram: ArtifactRef | null;
  vectors: ArtifactRef | null;
}
export interface ProjectResidualsOutput {
  projections: ArtifactRef;
  timing: StepTiming;
}

type Split = 'train' | 'test';
interface Rows {
  split: string[];
  step: number[];
  degree: number[];
  kind: string[];
  source: string[];
  value: number[];
}

export async function projectResiduals(deps: ActivityDeps, input: ProjectResidualsInput): Promise<ProjectResidualsOutput> {
  const { spec, samples, trajectory, gram, vectors } = input;
  const done = stopwatch(PROJECT_STEP.name);
  const twins = spec.analysis?.twins ?? ['infinite', 'init'];
  const wantInit = twins.includes('init');
  const key = contentKey({
    step: PROJECT_STEP,
    // The init twin depends on the initial weights: the seed and the model's width and init.
    params: { learningRate: spec.training.learningRate, twins, ...(wantInit ? { seed: spec.seed, width: spec.model.width, init: spec.model.init ?? 'gaussian' } : {}) },
    inputs: [samples.sha256, trajectory.sha256, gram?.sha256 ?? null, vectors?.sha256 ?? null],
  });
  const cached = await deps.store.find(PROJECT_STEP.name, key, 'projections.arrow');
  if (cached) return { projections: cached, timing: done(true) };

  const work = async () => {
    const s = await readSamples(deps, samples);
    const { steps, train, test } = await readTrajectory(deps, trajectory, s);
    const projector = await Projector.create(deps, s, gram, vectors);
    const rows: Rows = { split: [], step: [], degree: [], kind: [], source: [], value: [] };
    await projector.add(rows, 'network', steps, train, test);
    const lr = spec.training.learningRate;
    /** A twin's residuals at every logged step, in the eigenbasis of its Gram / n, from the network's r_0. */
    const twinResiduals = async (values: Float64Array, u: Float64Array, kTestTrain: Float64Array | null) => {
      const kTrain: Float64Array[] = [];
      const kTest: Float64Array[] = [];
      for (let b = 0; b < steps.length; b += KERNEL_BATCH) {
        const batch = steps.slice(b, b + KERNEL_BATCH);
        kTrain.push(...kernelResiduals(values, u, s.n, train[0]!, lr, batch));
        if (kTestTrain) kTest.push(...kernelTestResiduals(kTestTrain, s.nTest, values, u, s.n, train[0]!, test[0]!, lr, batch));
        await yieldToEventLoop();
      }
      return { kTrain, kTest };
    };
    if (projector.eigen && twins.includes('infinite')) {
      const { values, vectors: u } = projector.eigen;
      const kTestTrain = s.nTest > 0 ? ntkCross(s.xTest, s.nTest, s.xTrain, s.n, s.dim) : null;
      const { kTrain, kTest } = await twinResiduals(values, u, kTestTrain);
      await projector.add(rows, 'kernel', steps, kTrain, kTest);
    }
    if (wantInit) {
      const w = initialWeights(spec.model.init, spec.seed, spec.model.width, s.dim);
      const twin = await finiteWidthTwin({ w1: w.w1, w2: w.w2, width: w.width, dim: s.dim, xTrain: s.xTrain, n: s.n, xTest: s.xTest, nTest: s.nTest });
      const { kTrain, kTest } = await twinResiduals(twin.values, twin.vectors, twin.testTrain);
      await projector.add(rows, 'init', steps, kTrain, kTest);
    }
    return tableFromColumns({
      split: rows.split,
      step: Int32Array.from(rows.step),
      degree: Int32Array.from(rows.degree),
      kind: rows.kind,
      source: rows.source,
      value: Float64Array.from(rows.value),
    });
  };
  const table = await withHeartbeat(work(), { stage: 'project' });
  const projections = await deps.store.writeTable(PROJECT_STEP.name, key, 'projections.arrow', table);
  return { projections, timing: done(false) };
}

/** Residuals per logged step; rows are step-major, train block then test block (train.ts). */
async function readTrajectory(deps: ActivityDeps, ref: ArtifactRef, s: Samples) {
  const traj = await deps.store.readTable(ref);
  const step = readInt32(traj, 'step');
  const split = readStrings(traj, 'split');
  const residual = readFloat64(traj, 'residual');
  const per = s.n + s.nTest;
  if (residual.length % per !== 0) throw new Error(`trajectory ${ref.path} has ${residual.length} rows, not a multiple of n + nTest = ${per}`);
  const steps: number[] = [];
  const train: Float64Array[] = [];
  const test: Float64Array[] = [];
  for (let o = 0; o < residual.length; o += per) {
    if (split[o] !== 'train' || (s.nTest > 0 && split[o + s.n] !== 'test') || step[o + per - 1] !== step[o]) {
      throw new Error(`trajectory ${ref.path} is not laid out step-major by split at row ${o}`);
    }
    steps.push(step[o]!);
    train.push(residual.slice(o, o + s.n));
    test.push(residual.slice(o + s.n, o + per));
  }
  return { steps, train, test };
}

/** Everything fixed per run that the projections need, computed once. */
class Projector {
  private constructor(
    private readonly s: Samples,
    private readonly units: { degree: number; train: Float64Array; test: Float64Array }[],
    readonly eigen: { values: Float64Array; vectors: Float64Array; clusters: Map<number, number[]> } | null,
    private readonly zonal: Map<string, Float64Array> | null,
  ) {}

  static async create(deps: ActivityDeps, s: Samples, gram: ArtifactRef | null, vectors: ArtifactRef | null): Promise<Projector> {
    const units = s.degrees.map((degree) => {
      const p = s.parts.get(degree)!;
      return { degree, train: unitVector(p.train), test: unitVector(p.test) };
    });
    let eigen: Projector['eigen'] = null;
    if (gram && vectors) {
      const table = await deps.store.readTable(gram);
      const values = readFloat64(table, 'eigenvalue');
      const cluster = table.getChild('cluster')!.toArray() as ArrayLike<number | null>;
      const bytes = await deps.store.readBytes(vectors);
      const u = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      const clusters = new Map<number, number[]>();
      for (let j = 0; j < values.length; j++) {
        const c = cluster[j];
        if (c === null || c === undefined) continue;
        if (!clusters.has(c)) clusters.set(c, []);
        clusters.get(c)!.push(j);
      }
      eigen = { values, vectors: u, clusters };
    }
    // The zonal kernels cost n^2 memory per degree and split; computed once, used at every step.
    let zonal: Map<string, Float64Array> | null = null;
    if (s.distribution.kind === 'uniform') {
      zonal = new Map();
      for (const degree of s.degrees) {
        zonal.set(`train/${degree}`, zonalKernel(s.xTrain, s.n, s.dim, degree));
        if (s.nTest > 0) zonal.set(`test/${degree}`, zonalKernel(s.xTest, s.nTest, s.dim, degree));
      }
    }
    return new Projector(s, units, eigen, zonal);
  }

  async add(rows: Rows, source: 'network' | 'kernel' | 'init', steps: number[], train: Float64Array[], test: Float64Array[]): Promise<void> {
    const push = (split: Split, step: number, degree: number, kind: string, value: number) => {
      rows.split.push(split);
      rows.step.push(step);
      rows.degree.push(degree);
      rows.kind.push(kind);
      rows.source.push(source);
      rows.value.push(value);
    };
    let lastYield = performance.now();
    for (const [t, step] of steps.entries()) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      for (const split of ['train', 'test'] as const) {
        const r = split === 'train' ? train[t]! : test[t];
        const n = split === 'train' ? this.s.n : this.s.nTest;
        if (!r || n === 0) continue;
        for (const u of this.units) {
          push(split, step, u.degree, 'target', targetProjection(r, u[split]));
          const z = this.zonal?.get(`${split}/${u.degree}`);
          if (z) push(split, step, u.degree, 'harmonic', Math.sqrt(Math.max(0, harmonicEnergyOffDiagonal(r, z, n, this.s.dim, u.degree))));
          const members = split === 'train' ? this.eigen?.clusters.get(u.degree) : undefined;
          if (members) push(split, step, u.degree, 'eigenspace', eigenspaceProjection(r, this.eigen!.vectors, n, members));
        }
      }
    }
  }
}
