/**
 * Activity `trainNetwork`: full-batch GD on the paper's two-layer network, recording the
 * residual r_t = y - y_hat_t on train and test every `logEvery` steps.
 *
 * Writes `trajectory.arrow` (step, split, idx, residual; step-major, train before test) and
 * `losses.arrow` (split, step, loss). Training runs in ~10 chunks; after each, the weights and
 * the chunk's logs are checkpointed and the heartbeat names the checkpoint, so a retried attempt
 * (a killed worker) resumes there. Full-batch GD draws no random numbers after initialization,
 * so the weights are the whole state and a resumed run is bit-identical to an uninterrupted one.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Context } from '@temporalio/activity';
import { initialWeights, type NetworkWeights } from '../src/model/network.js';
import { writeJsonAtomic } from '../src/store/atomic-file.js';
import { trainNetwork as runTraining, type TrainLog } from '../src/model/engine.js';
import { contentKey } from '../src/store/canonical-json.js';
import { readMetadata, tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { failFast, stopwatch, type ActivityDeps } from './context.js';
import { readSamples } from './sample.js';

// Version 2: the geometric log schedule (src/model/log-schedule.ts).
export const TRAIN_STEP = { name: 'train', version: 2 } as const;

export interface TrainNetworkInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  /** Where to report the current step (the calling workflow); optional. */
  workflowId?: string;
}
export interface TrainNetworkOutput {
  trajectory: ArtifactRef;
  losses: ArtifactRef;
  engine: string;
  backend: string;
  timing: StepTiming;
}

/** What a training attempt heartbeats: the step, and the checkpoint a retry resumes from. */
export interface TrainHeartbeat {
  step: number;
  checkpoint?: Checkpoint;
}

/** Weights after `step` updates, plus the trajectory and loss parts logged up to it. */
export interface Checkpoint {
  step: number;
  weights: ArtifactRef;
  parts: { trajectory: ArtifactRef; losses: ArtifactRef }[];
}

/** About this many checkpoints per run (chunk boundaries fall on log steps). */
const CHECKPOINTS_PER_RUN = 10;

export function chunkSteps(steps: number, logEvery: number): number {
  return Math.max(logEvery, Math.ceil(steps / CHECKPOINTS_PER_RUN / logEvery) * logEvery);
}

export async function trainNetwork(deps: ActivityDeps, { spec, samples, workflowId }: TrainNetworkInput): Promise<TrainNetworkOutput> {
  const done = stopwatch(TRAIN_STEP.name);
  const key = contentKey({ step: TRAIN_STEP, params: { seed: spec.seed, model: spec.model, training: spec.training }, inputs: [samples.sha256] });
  const cachedTrajectory = await deps.store.find(TRAIN_STEP.name, key, 'trajectory.arrow');
  const cachedLosses = await deps.store.find(TRAIN_STEP.name, key, 'losses.arrow');
  if (cachedTrajectory && cachedLosses) {
    // The engine that trained it is recorded in the small losses table's metadata.
    const losses = await deps.store.readTable(cachedLosses);
    const engine = readMetadata(losses, 'engine');
    const backend = readMetadata(losses, 'backend');
    return { trajectory: cachedTrajectory, losses: cachedLosses, engine, backend, timing: done(true) };
  }

  const s = await readSamples(deps, samples);
  const ctx = Context.current();
  const { steps, logEvery } = spec.training;
  const chunk = chunkSteps(steps, logEvery);

  // Resume: the checkpoint named in the last heartbeat, else the latest one on disk for this key.
  let checkpoint: Checkpoint | undefined =
    (await verifiedCheckpoint(deps, (ctx.info.heartbeatDetails as TrainHeartbeat | undefined)?.checkpoint)) ?? (await latestCheckpoint(deps, key)) ?? undefined;
  if (checkpoint) deps.log?.(`trainNetwork: resuming ${key.slice(0, 12)} from its checkpoint at step ${checkpoint.step}`);
  let weights: NetworkWeights = checkpoint
    ? await readWeights(deps, checkpoint.weights, spec.model.width, s.dim)
    : initialWeights(spec.model.init, spec.seed, spec.model.width, s.dim);
  let step = checkpoint?.step ?? 0;
  const parts = checkpoint ? [...checkpoint.parts] : [];
  let engine = { engine: '', backend: '' };
  let lastReport = 0;

  while (step < steps || parts.length === 0) {
    const todo = Math.min(chunk, steps - step);
    const logs: TrainLog[] = [];
    const offset = step;
    const result = await runTraining(
      {
        xTrain: s.xTrain,
        yTrain: s.yTrain,
        nTrain: s.n,
        xTest: s.xTest,
        yTest: s.yTest,
        nTest: s.nTest,
        dim: s.dim,
        width: spec.model.width,
        theta: spec.model.theta,
        learningRate: spec.training.learningRate,
        steps: todo,
        logEvery,
        logSchedule: spec.training.logSchedule ?? 'geometric',
        firstStep: offset,
        seed: spec.seed,
        engine: spec.training.engine,
        initial: weights,
      },
      {
        // A resumed chunk's step-0 log repeats the previous chunk's last one.
        onLog: (log) => void (offset === 0 || log.step > 0 ? logs.push({ ...log, step: log.step + offset }) : undefined),
        onProgress: (local) => {
          const at = offset + local;
          ctx.heartbeat({ step: at, checkpoint } satisfies TrainHeartbeat);
          const now = Date.now();
          if (workflowId && deps.reportStep && now - lastReport > 2000) {
            lastReport = now;
            deps.reportStep(workflowId, at).catch(() => undefined);
          }
        },
        signal: ctx.cancellationSignal,
      },
    ).catch(failFast);
    engine = { engine: result.engine, backend: result.backend };
    weights = result.final;
    step += todo;
    const { trajectory, losses } = trajectoryTables(logs, s.n, s.nTest, engine);
    const part = {
      trajectory: await deps.store.writeTable(TRAIN_STEP.name, key, `part-${step}.arrow`, trajectory),
      losses: await deps.store.writeTable(TRAIN_STEP.name, key, `part-${step}-losses.arrow`, losses),
    };
    parts.push(part);
    const w = new Float64Array(weights.w1.length + weights.w2.length);
    w.set(weights.w1, 0);
    w.set(weights.w2, weights.w1.length);
    const weightsRef = await deps.store.writeBytes(TRAIN_STEP.name, key, `checkpoint-${step}.f64`, new Uint8Array(w.buffer), spec.model.width);
    checkpoint = { step, weights: weightsRef, parts: [...parts] };
    await writeJsonAtomic(join(deps.store.dirFor(TRAIN_STEP.name, key), `checkpoint-${step}.json`), checkpoint);
    ctx.heartbeat({ step, checkpoint } satisfies TrainHeartbeat);
  }

  // The final artifacts are the parts concatenated; then the parts and checkpoints can go.
  const trajectory = await concatTables(deps, parts.map((p) => p.trajectory));
  const losses = await concatTables(deps, parts.map((p) => p.losses));
  const trajectoryRef = await deps.store.writeTable(TRAIN_STEP.name, key, 'trajectory.arrow', trajectory);
  const lossesRef = await deps.store.writeTable(TRAIN_STEP.name, key, 'losses.arrow', losses);
  await removeCheckpoints(deps, key);
  return { trajectory: trajectoryRef, losses: lossesRef, engine: engine.engine, backend: engine.backend, timing: done(false) };
}

async function verifiedCheckpoint(deps: ActivityDeps, c: Checkpoint | undefined): Promise<Checkpoint | null> {
  if (!c) return null;
  try {
    for (const ref of [c.weights, ...c.parts.flatMap((p) => [p.trajectory, p.losses])]) await deps.store.readBytes(ref);
    return c;
  } catch {
    return null; // missing or corrupt: fall back to an older checkpoint or to step 0
  }
}

async function latestCheckpoint(deps: ActivityDeps, key: string): Promise<Checkpoint | null> {
  const dir = deps.store.dirFor(TRAIN_STEP.name, key);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = names
    .map((n) => /^checkpoint-(\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of found) {
    const c = JSON.parse(await readFile(join(dir, `checkpoint-${step}.json`), 'utf8')) as Checkpoint;
    if (await verifiedCheckpoint(deps, c)) return c;
  }
  return null;
}

async function readWeights(deps: ActivityDeps, ref: ArtifactRef, width: number, dim: number): Promise<NetworkWeights> {
  const bytes = await deps.store.readBytes(ref);
  const w = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  if (w.length !== width * dim + width) throw new Error(`checkpoint ${ref.path} holds ${w.length} weights, expected ${width * (dim + 1)}`);
  return { width, dim, w1: w.slice(0, width * dim), w2: w.slice(width * dim) };
}

async function concatTables(deps: ActivityDeps, refs: ArtifactRef[]): Promise<arrow.Table> {
  const tables = [];
  for (const ref of refs) tables.push(await deps.store.readTable(ref));
  const first = tables[0]!;
  return new arrow.Table(first.schema, tables.flatMap((t) => t.batches.map((b) => new arrow.RecordBatch(first.schema, b.data))));
}

async function removeCheckpoints(deps: ActivityDeps, key: string): Promise<void> {
  const dir = deps.store.dirFor(TRAIN_STEP.name, key);
  for (const name of await readdir(dir)) {
    // Also the temp files of checkpoint writes that a killed attempt left half-done.
    if (/^\.?(part-|checkpoint-)/.test(name)) await rm(join(dir, name), { force: true });
  }
}

function trajectoryTables(logs: TrainLog[], n: number, nTest: number, engine: { engine: string; backend: string }) {
  const per = n + nTest;
  const rows = logs.length * per;
  const step = new Int32Array(rows);
  const idx = new Int32Array(rows);
  const residual = new Float64Array(rows);
  const split: string[] = new Array(rows);
  let o = 0;
  for (const log of logs) {
    for (let i = 0; i < n; i++, o++) {
      step[o] = log.step;
      split[o] = 'train';
      idx[o] = i;
      residual[o] = log.residualTrain[i]!;
    }
    for (let i = 0; i < nTest; i++, o++) {
      step[o] = log.step;
      split[o] = 'test';
      idx[o] = i;
      residual[o] = log.residualTest[i]!;
    }
  }
  const lossSplit: string[] = [];
  const lossStep: number[] = [];
  const lossValue: number[] = [];
  for (const log of logs) {
    lossSplit.push('train');
    lossStep.push(log.step);
    lossValue.push(log.lossTrain);
    if (nTest > 0) {
      lossSplit.push('test');
      lossStep.push(log.step);
      lossValue.push(log.lossTest);
    }
  }
  return {
    trajectory: tableFromColumns({ step, split, idx, residual }),
    losses: tableFromColumns({ split: lossSplit, step: Int32Array.from(lossStep), loss: Float64Array.from(lossValue) }, engine),
  };
}
