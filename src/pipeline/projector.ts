/**
 * The projector: per-degree projections of residuals, as rows of `projections.arrow`
 * (split, step, degree, kind, source, value).
 *
 * Kinds:
 * - `target`: |v̂_kᵀ r_t|, v̂_k the unit vector of the degree-k target part (Cao et al., Figs. 1-2);
 * - `eigenspace`: ||U_kᵀ r_t||, U_k the K/n eigenvectors of degree k's cluster (Cao et al.,
 *   Theorem 4.2; train only, any distribution);
 * - `eigen-band`: ||U_bᵀ r_t|| for the eigenvalue index band b, [2^b - 1, 2^(b+1) - 1), in place of
 *   `eigenspace` for file data whose Gram shows no degree structure (src/pipeline/spectrum.ts);
 * - `harmonic`: sqrt of the energy of r_t in all degree-k harmonics, by the off-diagonal
 *   U-statistic (N(D,k)/(n(n-1))) sum_{i != j} r_i r_j P_k(<x_i, x_j>) (0 where it is negative)
 *   (uniform data only, where the harmonics are the eigenfunctions).
 * Sources: `network` (the trained net's residuals), `kernel` (the infinite-width twin,
 * r_t = U (1 - eta' Λ)^t Uᵀ r_0 with K/n = U Λ Uᵀ the analytic Gram of the run's model, from the
 * network's own r_0 on the same sample; needs the Gram eigenpairs) and `init` (the finite-width
 * twin: the same on the network's empirical NTK at its initial weights, Θ̂₀/n, which the train
 * step computes; src/pipeline/twins.ts).
 * `analysis.twins` picks the twins (absent: both).
 *
 * File data (a column target) has no degree parts: no `target` rows, and the eigenspace (or
 * eigen-band) rows cover every cluster of the Gram rather than the target's degrees.
 */
import type * as arrow from 'apache-arrow';
import { familyCross } from '../math/family-gram.js';
import { PAPER_MODEL, type ModelFamily } from '../math/ntk-family.js';
import {
  eigenvectorColumns,
  harmonicEnergiesOffDiagonal,
  harmonicEnergiesOffDiagonalByFeatures,
  projectionNorms,
  rowNorms,
  zonalFeatureCount,
  zonalFeatures,
  zonalKernel,
  type ZonalFeatures,
} from '../math/eigenspace.js';
import { matmul } from '../math/matmul.js';
import { unitVector } from '../math/projection.js';
import { tableFromColumns, wordsColumn } from '../store/arrow-columns.js';
import type { Samples } from './samples.js';
import type { GramEigen } from './spectrum.js';
import type { Residuals } from './trajectory.js';
import { kernelTwin } from './twins.js';

/** The products are long synchronous math: hand the event loop a turn between them so heartbeats go out. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Split = 'train' | 'test';
export type Source = 'network' | 'kernel' | 'init';

/** The twins to compute beside the network. */
export interface TwinOptions {
  /** eta', the twins' step. */
  learningRate: number;
  /** The infinite-width twin (needs the Gram eigenpairs). */
  infinite: boolean;
  /**
   * The finite-width twin's residuals at the network's logged steps (`finiteWidthTwinResiduals`,
   * src/pipeline/twins.ts; the train step writes them as `init-twin.arrow`); null: no such twin.
   */
  init: Residuals | null;
  /** The network whose analytic kernel the infinite-width twin uses (absent: the paper's). */
  model?: ModelFamily;
}

const SPLITS: readonly Split[] = ['train', 'test'];
const KINDS = ['target', 'harmonic', 'eigenspace', 'eigen-band'] as const;
const SOURCES: readonly Source[] = ['network', 'kernel', 'init'];

/** A block of the table's rows; the string columns as indices into SPLITS, KINDS and SOURCES. */
interface Rows {
  split: Uint8Array;
  step: Int32Array;
  degree: Int32Array;
  kind: Uint8Array;
  source: Uint8Array;
  value: Float64Array;
}

/**
 * The projections table of a run: the network's residuals and those of its kernel-regime twins
 * at learning rate eta': the infinite-width one with the Gram eigenpairs, the finite-width one
 * as given. Every projection of a whole trajectory is a matrix product
 * (src/math/matmul.ts); the event loop gets a turn between products.
 */
export async function projectionsTable(s: Samples, network: Residuals, eigen: GramEigen | null, twins: TwinOptions): Promise<arrow.Table> {
  const { learningRate } = twins;
  const projector = new Projector(s, eigen);
  const blocks: Rows[] = [];
  blocks.push(await projector.rows('network', network));
  if (eigen && twins.infinite) {
    const model = twins.model ?? PAPER_MODEL;
    const kTestTrain = s.nTest > 0 ? familyCross(model, s.xTest, s.nTest, s.xTrain, s.n, s.dim) : null;
    const twin = kernelTwin(s, network, eigen.values, eigen.vectors, kTestTrain, learningRate);
    // Its basis is the Gram's: the eigenspace norms come from its coefficients.
    blocks.push(await projector.rows('kernel', twin, twin.coefficients));
  }
  if (twins.init) blocks.push(await projector.rows('init', twins.init));
  const total = blocks.reduce((sum, b) => sum + b.value.length, 0);
  const column = <K extends keyof Rows>(name: K, out: Rows[K]): Rows[K] => {
    let o = 0;
    for (const b of blocks) {
      out.set(b[name] as never, o);
      o += b[name].length;
    }
    return out;
  };
  return tableFromColumns({
    split: wordsColumn(SPLITS, column('split', new Uint8Array(total))),
    step: column('step', new Int32Array(total)),
    degree: column('degree', new Int32Array(total)),
    kind: wordsColumn(KINDS, column('kind', new Uint8Array(total))),
    source: wordsColumn(SOURCES, column('source', new Uint8Array(total))),
    value: column('value', new Float64Array(total)),
  });
}

/** Zonal features are used where there are at most n / FEATURES_PER_POINT of them (else the n x n kernel). */
const FEATURES_PER_POINT = 4;

/** Everything fixed per run that the projections need, computed once. */
class Projector {
  private readonly degrees: number[];
  /** The degrees (or bands) of the eigenspace rows: the target's, or every Gram cluster when the target has none. */
  private readonly eigenDegrees: number[];
  private readonly eigenKind: 'eigenspace' | 'eigen-band';
  /** Per split, the degrees' unit target vectors as the columns of an n x degrees matrix. */
  private readonly units: Record<Split, Float64Array>;
  /**
   * Per degree and split, the zonal kernel, computed once and used for every source: as monomial
   * features where they are few (low degrees: n x F, the energies in O(n F) a residual), else the
   * n x n matrix.
   */
  private readonly zonal = new Map<string, Float64Array | ZonalFeatures>();

  constructor(
    private readonly s: Samples,
    private readonly eigen: GramEigen | null,
  ) {
    this.degrees = s.degrees;
    this.eigenDegrees = s.degrees.length > 0 || !eigen ? s.degrees : [...eigen.clusters.keys()].sort((a, b) => a - b);
    this.eigenKind = eigen?.basis === 'bands' ? 'eigen-band' : 'eigenspace';
    const columns = (split: Split, n: number) => {
      const d = this.degrees.length;
      const out = new Float64Array(n * d);
      this.degrees.forEach((degree, c) => {
        const p = s.parts.get(degree);
        if (!p) throw new Error(`samples: no target part for degree ${degree}`);
        const v = unitVector(p[split]);
        for (let i = 0; i < n; i++) out[i * d + c] = v[i]!;
      });
      return out;
    };
    this.units = { train: columns('train', s.n), test: columns('test', s.nTest) };
    if (s.distribution.kind === 'uniform') {
      const zonal = (x: Float64Array, n: number, degree: number) =>
        zonalFeatureCount(s.dim, degree) * FEATURES_PER_POINT <= n ? zonalFeatures(x, n, s.dim, degree) : zonalKernel(x, n, s.dim, degree);
      for (const degree of s.degrees) {
        this.zonal.set(`train/${degree}`, zonal(s.xTrain, s.n, degree));
        if (s.nTest > 0) this.zonal.set(`test/${degree}`, zonal(s.xTest, s.nTest, degree));
      }
    }
  }

  /** Per eigenspace degree (or band), its eigenvector columns of the Gram as an n x members matrix, gathered once. */
  private readonly eigenColumns = new Map<number, Float64Array>();

  private columnsOf(degree: number, members: Int32Array | number[]): Float64Array {
    let selected = this.eigenColumns.get(degree);
    if (!selected) {
      selected = eigenvectorColumns(this.eigen!.vectors, this.s.n, members);
      this.eigenColumns.set(degree, selected);
    }
    return selected;
  }

  /**
   * One split's projections of a whole trajectory: per degree and kind, one value per logged step.
   * `coefficients` (train only): the residuals' coordinates in the Gram's eigenbasis, when known.
   */
  private async project(
    split: Split,
    residuals: Float64Array,
    count: number,
    coefficients?: Float64Array,
  ): Promise<Map<string, Float64Array>> {
    const n = split === 'train' ? this.s.n : this.s.nTest;
    const d = this.degrees.length;
    const out = new Map<string, Float64Array>();
    const targets = d > 0 ? matmul(residuals, this.units[split], count, n, d) : new Float64Array(0);
    for (const [c, degree] of this.degrees.entries()) {
      out.set(
        `${degree}/target`,
        Float64Array.from({ length: count }, (_, t) => Math.abs(targets[t * d + c]!)),
      );
      const z = this.zonal.get(`${split}/${degree}`);
      if (z) {
        await yieldToEventLoop();
        const energy =
          z instanceof Float64Array
            ? harmonicEnergiesOffDiagonal(residuals, count, z, n, this.s.dim, degree)
            : harmonicEnergiesOffDiagonalByFeatures(residuals, count, z, n, this.s.dim, degree);
        out.set(
          `${degree}/harmonic`,
          energy.map((e) => Math.sqrt(Math.max(0, e))),
        );
      }
    }
    for (const degree of this.eigenDegrees) {
      const members = split === 'train' ? this.eigen?.clusters.get(degree) : undefined;
      if (!members) continue;
      await yieldToEventLoop();
      const norms = coefficients
        ? rowNorms(coefficients, count, n, members)
        : projectionNorms(residuals, count, this.columnsOf(degree, members), n, members.length);
      out.set(`${degree}/${this.eigenKind}`, norms);
    }
    return out;
  }

  /**
   * The rows of one source, step-major, then split, degree and kind, as the table has always been
   * laid out. `coefficients`: its training residuals in the Gram's eigenbasis, when known.
   */
  async rows(source: Source, { steps, train, test }: Residuals, coefficients?: Float64Array): Promise<Rows> {
    const count = steps.length;
    const bySplit: [number, Map<string, Float64Array>][] = [
      [SPLITS.indexOf('train'), await this.project('train', train, count, coefficients)],
    ];
    if (this.s.nTest > 0 && test.length === count * this.s.nTest)
      bySplit.push([SPLITS.indexOf('test'), await this.project('test', test, count)]);
    // The series present, in row order within a step.
    const series: { split: number; degree: number; kind: number; values: Float64Array }[] = [];
    for (const [split, values] of bySplit)
      for (const degree of this.degrees.length > 0 ? this.degrees : this.eigenDegrees)
        for (const [kind, name] of KINDS.entries()) {
          const v = values.get(`${degree}/${name}`);
          if (v) series.push({ split, degree, kind, values: v });
        }
    const per = series.length;
    const size = count * per;
    const rows: Rows = {
      split: new Uint8Array(size),
      step: new Int32Array(size),
      degree: new Int32Array(size),
      kind: new Uint8Array(size),
      source: new Uint8Array(size).fill(SOURCES.indexOf(source)),
      value: new Float64Array(size),
    };
    for (const [c, { split, degree, kind, values }] of series.entries()) {
      for (let t = 0; t < count; t++) {
        const r = t * per + c;
        rows.split[r] = split;
        rows.step[r] = steps[t]!;
        rows.degree[r] = degree;
        rows.kind[r] = kind;
        rows.value[r] = values[t]!;
      }
    }
    return rows;
  }
}
