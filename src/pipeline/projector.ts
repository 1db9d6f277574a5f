/**
 * The projector: per-degree projections of residuals, as rows of `projections.arrow`
 * (split, step, degree, kind, source, value).
 *
 * Kinds:
 * - `target`: |v̂_kᵀ r_t|, v̂_k the unit vector of the degree-k target part (Cao et al., Figs. 1-2);
 * - `eigenspace`: ||U_kᵀ r_t||, U_k the K/n eigenvectors of degree k's cluster (Cao et al.,
 *   Theorem 4.2; train only, any distribution);
 * - `harmonic`: sqrt of the energy of r_t in all degree-k harmonics, by the off-diagonal
 *   U-statistic (N(D,k)/(n(n-1))) sum_{i != j} r_i r_j P_k(<x_i, x_j>) (0 where it is negative)
 *   (uniform data only, where the harmonics are the eigenfunctions).
 * Sources: `network` (the trained net's residuals), `kernel` (the infinite-width twin,
 * r_t = U (1 - eta' Λ)^t Uᵀ r_0 with K/n = U Λ Uᵀ the analytic Gram, from the network's own r_0 on
 * the same sample; needs the Gram eigenpairs) and `init` (the finite-width twin: the same on the
 * network's empirical NTK at its initial weights, Θ̂₀/n; src/math/finite-width-twin.ts).
 * `analysis.twins` picks the twins (absent: both).
 */
import type * as arrow from 'apache-arrow';
import { kernelResiduals, kernelTestResiduals, ntkCross } from '../math/kernel-regime.js';
import { eigenspaceProjection, harmonicEnergyOffDiagonal, zonalKernel } from '../math/eigenspace.js';
import { finiteWidthTwin } from '../math/finite-width-twin.js';
import type { NetworkWeights } from '../model/network.js';
import { targetProjection, unitVector } from '../math/projection.js';
import { tableFromColumns } from '../store/arrow-columns.js';
import type { Samples } from './samples.js';
import type { GramEigen } from './spectrum.js';

/** Kernel-twin steps computed between two turns of the event loop. */
const KERNEL_BATCH = 20;
/** The projection loops are long synchronous math: hand the event loop a turn this often (ms) so heartbeats go out. */
const YIELD_EVERY_MS = 20;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Split = 'train' | 'test';
export type Source = 'network' | 'kernel' | 'init';

/** The twins to compute beside the network. */
export interface TwinOptions {
  /** eta', the twins' step. */
  learningRate: number;
  /** The infinite-width twin (needs the Gram eigenpairs). */
  infinite: boolean;
  /** The initial weights for the finite-width twin; null: no such twin. */
  init: NetworkWeights | null;
}

interface Rows {
  split: string[];
  step: number[];
  degree: number[];
  kind: string[];
  source: string[];
  value: number[];
}

/** The residual trajectory: residuals per logged step, per split. */
export interface Residuals {
  steps: number[];
  train: Float64Array[];
  test: Float64Array[];
}

/**
 * The projections table of a run: the network's residuals and those of its kernel-regime twins
 * at learning rate eta': the infinite-width one with the Gram eigenpairs, the finite-width one
 * with the initial weights. Yields to the event loop as it goes.
 */
export async function projectionsTable(s: Samples, network: Residuals, eigen: GramEigen | null, twins: TwinOptions): Promise<arrow.Table> {
  const projector = new Projector(s, eigen);
  const rows: Rows = { split: [], step: [], degree: [], kind: [], source: [], value: [] };
  const { learningRate } = twins;
  await projector.add(rows, 'network', network);
  if (eigen && twins.infinite) {
    const kTestTrain = s.nTest > 0 ? ntkCross(s.xTest, s.nTest, s.xTrain, s.n, s.dim) : null;
    await projector.add(rows, 'kernel', await kernelTwin(s, network, eigen.values, eigen.vectors, kTestTrain, learningRate));
  }
  if (twins.init) {
    const { w1, w2, width } = twins.init;
    const twin = await finiteWidthTwin({ w1, w2, width, dim: s.dim, xTrain: s.xTrain, n: s.n, xTest: s.xTest, nTest: s.nTest });
    await projector.add(rows, 'init', await kernelTwin(s, network, twin.values, twin.vectors, twin.testTrain, learningRate));
  }
  return tableFromColumns({
    split: rows.split,
    step: Int32Array.from(rows.step),
    degree: Int32Array.from(rows.degree),
    kind: rows.kind,
    source: rows.source,
    value: Float64Array.from(rows.value),
  });
}

/**
 * The linearized (kernel-regime) residuals at the network's logged steps, from the network's r_0,
 * for a kernel with eigenpairs (values, u) of its Gram / n and test-train block kTestTrain.
 */
async function kernelTwin(
  s: Samples,
  network: Residuals,
  values: Float64Array,
  u: Float64Array,
  kTestTrain: Float64Array | null,
  learningRate: number,
): Promise<Residuals> {
  const { steps } = network;
  const r0 = network.train[0]!;
  const train: Float64Array[] = [];
  const test: Float64Array[] = [];
  for (let b = 0; b < steps.length; b += KERNEL_BATCH) {
    const batch = steps.slice(b, b + KERNEL_BATCH);
    train.push(...kernelResiduals(values, u, s.n, r0, learningRate, batch));
    if (kTestTrain) test.push(...kernelTestResiduals(kTestTrain, s.nTest, values, u, s.n, r0, network.test[0]!, learningRate, batch));
    await yieldToEventLoop();
  }
  return { steps, train, test };
}

/** Everything fixed per run that the projections need, computed once. */
class Projector {
  private readonly units: { degree: number; train: Float64Array; test: Float64Array }[];
  /** The zonal kernels cost n^2 memory per degree and split; computed once, used at every step. */
  private readonly zonal = new Map<string, Float64Array>();

  constructor(
    private readonly s: Samples,
    private readonly eigen: GramEigen | null,
  ) {
    this.units = s.degrees.map((degree) => {
      const p = s.parts.get(degree)!;
      return { degree, train: unitVector(p.train), test: unitVector(p.test) };
    });
    if (s.distribution.kind === 'uniform') {
      for (const degree of s.degrees) {
        this.zonal.set(`train/${degree}`, zonalKernel(s.xTrain, s.n, s.dim, degree));
        if (s.nTest > 0) this.zonal.set(`test/${degree}`, zonalKernel(s.xTest, s.nTest, s.dim, degree));
      }
    }
  }

  async add(rows: Rows, source: Source, { steps, train, test }: Residuals): Promise<void> {
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
          const z = this.zonal.get(`${split}/${u.degree}`);
          if (z) push(split, step, u.degree, 'harmonic', Math.sqrt(Math.max(0, harmonicEnergyOffDiagonal(r, z, n, this.s.dim, u.degree))));
          const members = split === 'train' ? this.eigen?.clusters.get(u.degree) : undefined;
          if (members) push(split, step, u.degree, 'eigenspace', eigenspaceProjection(r, this.eigen!.vectors, n, members));
        }
      }
    }
  }
}
