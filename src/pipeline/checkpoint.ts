/**
 * The checkpoint format of a training run, under its `artifacts/train/<key>/` folder:
 * `checkpoint-<step>.f64` (the weights after <step> updates, raw float64: the paper's network
 * W1 m x D row-major, then W2; another member of the model family its layers in the order of
 * `flattenDeepWeights`, A_1, b_1, ..., A_L, b_L), `part-<step>.arrow` and `part-<step>-losses.arrow` (the logs of the chunk that ended
 * there), `checkpoint-<step>-optimizer.f64` (the optimizer state, raw float64: SGD's heavy-ball
 * velocity or Adam's moments m then v, each W1 then W2; absent for GD and momentum-free SGD) and
 * `checkpoint-<step>.json` (a {@link Checkpoint} naming them all). Full-batch GD draws no random
 * numbers after initialization; SGD's and Adam's mini-batches are a function of (seed, step)
 * (`model/optimizer.ts`) and Adam's step count is the step, so the weights, the optimizer state
 * and the step are the whole state.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { isPaperModel, PAPER_MODEL, type ModelFamily } from '../math/ntk-family.js';
import type { ModelWeights } from '../model/engine.js';
import type { NetworkWeights } from '../model/network.js';
import { flattenDeepWeights, isDeepWeights, unflattenDeepWeights } from '../model/reference-deep.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import type { ArtifactRef, ArtifactStore } from '../store/artifact-store.js';
import { STEPS } from './cache-keys.js';

/** Weights after `step` updates, plus the trajectory and loss parts logged up to it. */
export interface Checkpoint {
  step: number;
  weights: ArtifactRef;
  /** The optimizer state after `step` updates, when the optimizer has one. */
  optimizer?: ArtifactRef;
  parts: { trajectory: ArtifactRef; losses: ArtifactRef }[];
}

/** About this many checkpoints per run. */
const CHECKPOINTS_PER_RUN = 10;

/** Steps per training chunk (one checkpoint each); chunk boundaries fall on log steps. */
export function chunkSteps(steps: number, logEvery: number): number {
  return Math.max(logEvery, Math.ceil(steps / CHECKPOINTS_PER_RUN / logEvery) * logEvery);
}

/** Writes the chunk's parts and weights, then the checkpoint naming them (last, so it only names files that exist). */
export async function writeCheckpoint(
  store: ArtifactStore,
  key: string,
  step: number,
  weights: ModelWeights,
  part: { trajectory: arrow.Table; losses: arrow.Table },
  earlier: Checkpoint['parts'],
  optimizerState?: Float64Array,
): Promise<Checkpoint> {
  const { name } = STEPS.train;
  const parts = [
    ...earlier,
    {
      trajectory: await store.writeTable(name, key, `part-${step}.arrow`, part.trajectory),
      losses: await store.writeTable(name, key, `part-${step}-losses.arrow`, part.losses),
    },
  ];
  const w = isDeepWeights(weights) ? flattenDeepWeights(weights) : paperFlat(weights);
  const weightsRef = await store.writeBytes(name, key, `checkpoint-${step}.f64`, new Uint8Array(w.buffer), weights.width);
  const optimizer =
    optimizerState && optimizerState.length > 0
      ? await store.writeBytes(
          name,
          key,
          `checkpoint-${step}-optimizer.f64`,
          new Uint8Array(optimizerState.buffer, optimizerState.byteOffset, optimizerState.byteLength),
          weights.width,
        )
      : undefined;
  const checkpoint: Checkpoint = { step, weights: weightsRef, ...(optimizer ? { optimizer } : {}), parts };
  await writeJsonAtomic(join(store.dirFor(name, key), `checkpoint-${step}.json`), checkpoint);
  return checkpoint;
}

/** The checkpoint if every file it names is there and verifies, else null. */
export async function verifiedCheckpoint(store: ArtifactStore, c: Checkpoint | undefined): Promise<Checkpoint | null> {
  if (!c) return null;
  try {
    for (const ref of [c.weights, ...(c.optimizer ? [c.optimizer] : []), ...c.parts.flatMap((p) => [p.trajectory, p.losses])])
      await store.readBytes(ref);
    return c;
  } catch {
    return null; // missing or corrupt: fall back to an older checkpoint or to step 0
  }
}

/** The newest verified checkpoint on disk for this training key, or null. */
export async function latestCheckpoint(store: ArtifactStore, key: string): Promise<Checkpoint | null> {
  const dir = store.dirFor(STEPS.train.name, key);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = names
    .map((n) => /^checkpoint-(\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of found) {
    const c = JSON.parse(await readFile(join(dir, `checkpoint-${step}.json`), 'utf8')) as Checkpoint;
    if (await verifiedCheckpoint(store, c)) return c;
  }
  return null;
}

function paperFlat(weights: NetworkWeights): Float64Array {
  const w = new Float64Array(weights.w1.length + weights.w2.length);
  w.set(weights.w1, 0);
  w.set(weights.w2, weights.w1.length);
  return w;
}

/** The weights a checkpoint names, of the paper's network or (`model`) another member of the family. */
export async function readWeights(
  store: ArtifactStore,
  ref: ArtifactRef,
  width: number,
  dim: number,
  model: ModelFamily = PAPER_MODEL,
): Promise<ModelWeights> {
  const bytes = await store.readBytes(ref);
  const w = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  if (!isPaperModel(model)) return unflattenDeepWeights(model, width, dim, w);
  if (w.length !== width * dim + width) throw new Error(`checkpoint ${ref.path} holds ${w.length} weights, expected ${width * (dim + 1)}`);
  return { width, dim, w1: w.slice(0, width * dim), w2: w.slice(width * dim) };
}

/** The optimizer state a checkpoint names. */
export async function readOptimizerState(store: ArtifactStore, ref: ArtifactRef): Promise<Float64Array> {
  const bytes = await store.readBytes(ref);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Removes the parts and checkpoints once the final artifacts are written. */
export async function removeCheckpoints(store: ArtifactStore, key: string): Promise<void> {
  const dir = store.dirFor(STEPS.train.name, key);
  for (const name of await readdir(dir)) {
    // Also the temp files of checkpoint writes that a killed attempt left half-done.
    if (/^\.?(part-|checkpoint-)/.test(name)) await rm(join(dir, name), { force: true });
  }
}
