/**
 * The run manifest, `<data root>/runs/<run id>/manifest.json`: the record of one run from
 * which its `runs` row (and, through its artifacts, every other row of the results database)
 * is derived. A completed run's manifest names its artifacts; a failed run's carries the
 * error's one line. A later run of the same spec that found every step cached is a rerun:
 * it is appended to `reruns`, and the record of the run that did the work stays as it was.
 *
 * ```ts
 * const previous = await readRunManifest(dataRoot, runId);
 * const record = runRecord(previous, { startedAt, finishedAt, timings, codeVersion });
 * const row = runRowFromManifest({ ...fields, ...record, status: 'completed' });
 * ```
 */

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from './artifact-store.js';
import type { RunRow } from './results-ingest.js';

/** How long one step took, and whether its artifact was found cached. */
export interface RunTiming {
  step: string;
  seconds: number;
  cached: boolean;
}

/** A later run of the same spec that computed nothing: every step before analysis was cached. */
export interface RerunRecord {
  startedAt: string;
  finishedAt: string;
  codeVersion: string;
  timings: RunTiming[];
}

/** The fields of a manifest that the results database derives from; writers add more (seeds, host, rates...). */
export interface RunManifest {
  runId: string;
  specHash: string;
  sweepId: string | null;
  spec: { name: string } & Record<string, unknown>;
  /** Absent in manifests written before failures were recorded: those are completed. */
  status?: 'completed' | 'failed';
  /** A failed run's one line. */
  error?: string | null;
  /** A completed run's artifacts (spectrum, gram, ntkCheck, losses, projections, ...). */
  artifacts?: Record<string, ArtifactRef | null | undefined>;
  engine: string | null;
  backend: string | null;
  code?: { codeVersion?: string };
  /** ISO 8601: when the run that did the work started and finished. */
  startedAt: string;
  finishedAt: string | null;
  timings?: RunTiming[];
  reruns?: RerunRecord[];
}

/** `runs/<runId>/manifest.json`, relative to the data root. */
export function manifestPath(runId: string): string {
  return `runs/${runId}/manifest.json`;
}

/** The manifest of `runId`, or null when there is none. Throws with the file named when it is not a manifest. */
export async function readRunManifest(dataRoot: string, runId: string): Promise<RunManifest | null> {
  const file = path.join(dataRoot, manifestPath(runId));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return checkManifest(text, runId, file);
}

/** Every `runs/*\/manifest.json` under `dataRoot`, in run id order; an unreadable one comes with its one-line reason. */
export async function listRunManifests(
  dataRoot: string,
): Promise<({ runId: string; manifest: RunManifest } | { runId: string; error: string })[]> {
  let ids: string[];
  try {
    ids = (await readdir(path.join(dataRoot, 'runs'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ({ runId: string; manifest: RunManifest } | { runId: string; error: string })[] = [];
  for (const runId of ids.sort()) {
    try {
      const manifest = await readRunManifest(dataRoot, runId);
      if (manifest) out.push({ runId, manifest });
    } catch (err) {
      out.push({ runId, error: (err as Error).message.split('\n')[0]! });
    }
  }
  return out;
}

function checkManifest(text: string, runId: string, file: string): RunManifest {
  let m: Partial<RunManifest>;
  try {
    m = JSON.parse(text) as Partial<RunManifest>;
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const bad = (field: string, why: string): never => {
    throw new Error(`${file}: ${field} ${why}`);
  };
  if (m === null || typeof m !== 'object') bad('the manifest', 'is not an object');
  if (m.runId !== runId) bad('runId', `must be the folder name ${JSON.stringify(runId)}, got ${JSON.stringify(m.runId)}`);
  if (typeof m.specHash !== 'string') bad('specHash', 'must be a string');
  if (m.spec === null || typeof m.spec !== 'object' || typeof m.spec.name !== 'string') bad('spec.name', 'must be a string');
  if (typeof m.startedAt !== 'string' || !Number.isFinite(Date.parse(m.startedAt))) bad('startedAt', 'must be an ISO 8601 time');
  const status = m.status ?? 'completed';
  if (status !== 'completed' && status !== 'failed') bad('status', `must be completed or failed, got ${JSON.stringify(status)}`);
  if (status === 'completed' && (m.artifacts === null || typeof m.artifacts !== 'object'))
    bad('artifacts', 'must name the artifacts of a completed run');
  return m as RunManifest;
}

/** The `runs` row a manifest stands for. */
export function runRowFromManifest(m: RunManifest): RunRow {
  const reruns = m.reruns ?? [];
  const last = reruns.at(-1);
  return {
    runId: m.runId,
    name: m.spec.name,
    specHash: m.specHash,
    spec: m.spec,
    sweepId: m.sweepId ?? null,
    status: m.status ?? 'completed',
    engine: m.engine ?? null,
    backend: m.backend ?? null,
    startedAt: new Date(m.startedAt),
    finishedAt: m.finishedAt ? new Date(m.finishedAt) : null,
    codeVersion: m.code?.codeVersion ?? 'unknown',
    error: m.error ?? null,
    reruns: reruns.length,
    lastRerunAt: last ? new Date(last.finishedAt) : null,
  };
}

/** What one completed execution of a run knows about itself. */
export interface RunExecution {
  startedAt: string;
  finishedAt: string;
  codeVersion: string;
  timings: RunTiming[];
  /** The artifacts it used; a rerun uses exactly those of the record it keeps. */
  artifacts: Record<string, ArtifactRef | null | undefined>;
}

/**
 * The timing record a completed run's manifest keeps. An execution whose every step but
 * `analyze` was cached, of a run already recorded as completed with the same artifacts, is a
 * rerun: the earlier start, finish and timings stay, and the execution joins `reruns`. Any
 * other execution did work and starts a fresh record. The same execution recorded twice (a
 * retried activity; the start time is the workflow's) replaces its own entry.
 */
export function runRecord(
  previous: RunManifest | null,
  current: RunExecution,
): Pick<RunManifest, 'startedAt' | 'finishedAt' | 'timings' | 'reruns'> {
  const fresh = { startedAt: current.startedAt, finishedAt: current.finishedAt, timings: current.timings, reruns: [] };
  const computed = current.timings.some((t) => t.step !== 'analyze' && !t.cached);
  if (computed || previous === null || (previous.status ?? 'completed') !== 'completed') return fresh;
  // The execution that made the record, retried: it stays the record.
  if (previous.startedAt === current.startedAt) return { ...fresh, reruns: previous.reruns ?? [] };
  if (!sameArtifacts(previous.artifacts ?? {}, current.artifacts)) return fresh;
  const rerun: RerunRecord = {
    startedAt: current.startedAt,
    finishedAt: current.finishedAt,
    codeVersion: current.codeVersion,
    timings: current.timings,
  };
  const earlier = (previous.reruns ?? []).filter((r) => r.startedAt !== current.startedAt);
  return { startedAt: previous.startedAt, finishedAt: previous.finishedAt, timings: previous.timings ?? [], reruns: [...earlier, rerun] };
}

function sameArtifacts(a: Record<string, ArtifactRef | null | undefined>, b: Record<string, ArtifactRef | null | undefined>): boolean {
  return Object.keys(b).every((k) => (a[k]?.sha256 ?? null) === (b[k]?.sha256 ?? null));
}
