/**
 * A results database with known answers, built through the real ingestion
 * path (ResultsDb.ingestRun + fitRates) from synthetic Arrow tables.
 *
 * Every projection is a pure exponential A exp(-rate * step), so the fitted
 * rate of sql/rates.sql is `rate` whatever the window; the kernel twin decays
 * at KERNEL_FACTOR * rate. Three runs:
 *
 * - run-a: sweep sw-1, width 256, seed 0, rates RATES, with an ntk_check row and a manifest;
 * - run-b: sweep sw-1, width 256, seed 1, rates SEED1_FACTOR * RATES;
 * - run-c: sweep sw-1, width 1024, seed 0, rates RATES / 2.
 *
 * On test, degree 4 stays flat, so its fit is refused (NaN).
 *
 * ```ts
 * const dataRoot = await buildFixture(tmp());
 * ```
 */

import path from 'node:path';
import { Bool, Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { writeJsonAtomic } from '../../src/store/atomic-file.js';
import { withResultsDb, type RunRow } from '../../src/store/results-db.js';

export const LEARNING_RATE = 1;
/** mu_k for k = 0..5; mu_3 and mu_5 are numerical zeros. */
export const MU = [0.35, 0.075, 0.0057, 1e-20, 5.6e-5, 1e-21];
export const RATES: Record<number, number> = { 1: 0.05, 2: 0.01, 4: 0.002 };
export const KERNEL_FACTOR = 1.25;
export const SEED1_FACTOR = 1.1;
export const NTK_ERRORS: Record<string, number> = { 'run-a': 0.12, 'run-b': 0.11, 'run-c': 0.06 };
export const STEPS = Array.from({ length: 201 }, (_, i) => i * 10); // 0, 10, ..., 2000

interface RunFixture {
  runId: string;
  width: number;
  seed: number;
  factor: number;
}

export const RUNS: RunFixture[] = [
  { runId: 'run-a', width: 256, seed: 0, factor: 1 },
  { runId: 'run-b', width: 256, seed: 1, factor: SEED1_FACTOR },
  { runId: 'run-c', width: 1024, seed: 0, factor: 0.5 },
];

export function specOf(width: number, seed: number): Record<string, unknown> {
  return {
    name: 'synthetic',
    seed,
    data: {
      dim: 10,
      n: 300,
      nTest: 100,
      distribution: { kind: 'uniform' },
      target: { kind: 'harmonics', components: [{ degree: 1, amplitude: 1 }] },
    },
    model: { width, theta: 1 },
    training: { steps: 2000, learningRate: LEARNING_RATE, logEvery: 10, engine: 'auto' },
    spectrum: { maxDegree: 5, gram: true },
  };
}

function runRow(f: RunFixture): RunRow {
  return {
    runId: f.runId,
    name: 'synthetic',
    specHash: `hash-${f.runId}`,
    spec: specOf(f.width, f.seed),
    sweepId: 'sw-1',
    status: 'completed',
    engine: 'tfjs',
    backend: 'cpu',
    startedAt: new Date('2024-05-06T07:00:00.000Z'),
    finishedAt: new Date('2024-05-06T07:05:00.000Z'),
    codeVersion: 'db-code-version',
  };
}

function projections(factor: number): Table {
  const rows: { split: string; step: number; degree: number; kind: string; source: string; value: number }[] = [];
  for (const [k, rate] of Object.entries(RATES)) {
    const degree = Number(k);
    for (const step of STEPS) {
      for (const [source, r] of [
        ['network', rate * factor],
        ['kernel', rate * factor * KERNEL_FACTOR],
      ] as const) {
        rows.push({ split: 'train', step, degree, kind: 'target', source, value: 2 * Math.exp(-r * step) });
        // On test, degree 4 does not fall (Appendix F); the others fall as on train.
        rows.push({ split: 'test', step, degree, kind: 'target', source, value: degree === 4 ? 1 : Math.exp(-r * step) });
      }
      rows.push({ split: 'train', step, degree, kind: 'eigenspace', source: 'network', value: Math.exp(-rate * factor * step) });
    }
  }
  return new Table({
    split: vectorFromArray(
      rows.map((r) => r.split),
      new Utf8(),
    ),
    step: vectorFromArray(
      rows.map((r) => r.step),
      new Int32(),
    ),
    degree: vectorFromArray(
      rows.map((r) => r.degree),
      new Int32(),
    ),
    kind: vectorFromArray(
      rows.map((r) => r.kind),
      new Utf8(),
    ),
    source: vectorFromArray(
      rows.map((r) => r.source),
      new Utf8(),
    ),
    value: vectorFromArray(
      rows.map((r) => r.value),
      new Float64(),
    ),
  });
}

function spectrum(): Table {
  return new Table({
    degree: vectorFromArray(
      MU.map((_, k) => k),
      new Int32(),
    ),
    mu: vectorFromArray(MU, new Float64()),
    multiplicity: vectorFromArray([1, 10, 54, 210, 660, 1782], new Float64()),
    numerical_zero: vectorFromArray(
      MU.map((m) => m < 1e-15),
      new Bool(),
    ),
    theory_rate: vectorFromArray(
      MU.map((m) => -Math.log(1 - LEARNING_RATE * m)),
      new Float64(),
    ),
  });
}

function gram(): Table {
  // 1 + 10 + 54 eigenvalues spread around mu_0, mu_1, mu_2, plus 5 unassigned.
  const eig: number[] = [];
  const cluster: (number | null)[] = [];
  [1, 10, 54].forEach((count, k) => {
    for (let i = 0; i < count; i++) {
      eig.push(MU[k]! * (0.8 + (0.4 * i) / Math.max(1, count - 1)));
      cluster.push(k);
    }
  });
  for (let i = 0; i < 5; i++) {
    eig.push(1e-5 / (i + 1));
    cluster.push(null);
  }
  return new Table({
    idx: vectorFromArray(
      eig.map((_, i) => i),
      new Int32(),
    ),
    eigenvalue: vectorFromArray(eig, new Float64()),
    cluster: vectorFromArray(cluster, new Int32()),
  });
}

function losses(): Table {
  return new Table({
    split: vectorFromArray(
      STEPS.map(() => 'train'),
      new Utf8(),
    ),
    step: vectorFromArray(STEPS, new Int32()),
    loss: vectorFromArray(
      STEPS.map((s) => Math.exp(-s / 100)),
      new Float64(),
    ),
  });
}

function ntkCheck(runId: string, width: number): Table {
  return new Table({
    width: vectorFromArray([width], new Int32()),
    n_points: vectorFromArray([100], new Int32()),
    rel_error: vectorFromArray([NTK_ERRORS[runId]!], new Float64()),
  });
}

/** The manifest of run-a: what the provenance section must show. */
export const MANIFEST_A = {
  runId: 'run-a',
  engine: 'tfjs',
  backend: 'cpu (manifest)',
  code: { package: { name: 'specbias', version: '9.9.9' }, gitCommit: 'abc123def456', codeVersion: 'manifest-code-version' },
  host: { hostname: 'test-host', platform: 'linux', arch: 'x64', cpus: 3, cpuModel: 'Test CPU', memoryGiB: 7, node: 'v20.0.0' },
  startedAt: '2024-05-06T07:00:00.000Z',
  finishedAt: '2024-05-06T07:05:00.000Z',
  timings: [
    { step: 'sample', seconds: 0.25, cached: false },
    { step: 'train', seconds: 12.5, cached: true },
  ],
  artifacts: { spectrum: { path: 'artifacts/spectrum/0011/spectrum.arrow', sha256: 'f'.repeat(64), rows: 6 } },
};

/** One synthetic run of a sweep: the fixture's tables, its projections decaying at `factor` x RATES. */
export interface SyntheticRun {
  runId: string;
  spec: Record<string, unknown>;
  sweepId: string;
  startedAt: Date;
  factor: number;
}

/** Ingests `runs` into `<dataRoot>/results.duckdb` through the real path (ingestRun, then fitRates). */
export async function ingestRuns(dataRoot: string, runs: SyntheticRun[]): Promise<void> {
  await withResultsDb(path.join(dataRoot, 'results.duckdb'), {}, async (db) => {
    for (const r of runs) {
      await db.ingestRun({
        run: {
          runId: r.runId,
          name: String(r.spec.name),
          specHash: `hash-${r.runId}`,
          spec: r.spec,
          sweepId: r.sweepId,
          status: 'completed',
          engine: 'native',
          backend: 'cpu',
          startedAt: r.startedAt,
          finishedAt: new Date(r.startedAt.getTime() + 1000),
          codeVersion: 'db-code-version',
        },
        spectrum: spectrum(),
        gram: gram(),
        losses: losses(),
        projections: projections(r.factor),
      });
      await db.fitRates(r.runId);
    }
  });
}

/** Builds `<dir>/data` with results.duckdb (all three runs) and run-a's manifest; returns the data root. */
export async function buildFixture(dir: string): Promise<string> {
  const dataRoot = path.join(dir, 'data');
  await withResultsDb(path.join(dataRoot, 'results.duckdb'), {}, async (db) => {
    for (const f of RUNS) {
      await db.ingestRun({
        run: runRow(f),
        spectrum: spectrum(),
        gram: gram(),
        ntkCheck: ntkCheck(f.runId, f.width),
        losses: losses(),
        projections: projections(f.factor),
      });
      await db.fitRates(f.runId);
    }
  });
  await writeJsonAtomic(path.join(dataRoot, 'runs', 'run-a', 'manifest.json'), MANIFEST_A);
  return dataRoot;
}
