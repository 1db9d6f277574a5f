/**
 * Rebuilding the results database from what it derives from: `runs/*\/manifest.json` and
 * the checksum-verified artifacts they name. The new file is built beside the old one and
 * then swapped in; the old one is moved aside (`results.duckdb.<why>-<UTC time>`), never
 * deleted. Used on open when the file is corrupt or incompatible, and by `specbias db rebuild`.
 *
 * ```ts
 * const summary = await rebuildResultsDb('data/results.duckdb');   // from results-db.ts
 * console.log(summary.completed, summary.failed, summary.skipped, summary.movedTo);
 * ```
 */

import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactStore, type ArtifactRef, type StoreLogger } from './artifact-store.js';
import { accessError, displayPath, ResultsCorruptError } from './errors.js';
import { moveAside } from './results-connection.js';
import type { ResultsDb, ResultsDbOptions } from './results-db.js';
import { listRunManifests, runRowFromManifest, type RunManifest } from './run-manifest.js';
import { withTheoryRates } from './spectrum-table.js';

/** `ResultsDb.open`, passed in so that this module does not load results-db.ts. */
export type OpenResultsDb = (file: string, options: ResultsDbOptions) => Promise<ResultsDb>;

export interface RebuildSummary {
  /** The database file, as messages name it. */
  file: string;
  /** Where the file it replaced went; null when there was none. */
  movedTo: string | null;
  /** Runs ingested with their artifacts and refitted rates. */
  completed: number;
  /** Failed runs recorded. */
  failed: number;
  /** Runs left out, each with its one-line reason (a missing or corrupt artifact, a broken manifest). */
  skipped: { runId: string; reason: string }[];
}

const healing = new Map<string, Promise<void>>();

/**
 * Replaces the corrupt or incompatible `absolute` with a rebuilt one and says so in one line.
 * Concurrent opens of this process wait for the one heal; a file that another process has
 * replaced meanwhile is left alone.
 */
export async function healResultsDb(absolute: string, cause: ResultsCorruptError, open: OpenResultsDb, logger: StoreLogger): Promise<void> {
  let pending = healing.get(absolute);
  if (pending === undefined) {
    pending = (async () => {
      const inode = await inodeOf(absolute);
      if (inode === null) return;
      // Another process may have healed it since this one looked.
      try {
        (await open(absolute, { heal: false })).closeSync();
        return;
      } catch (err) {
        if (!(err instanceof ResultsCorruptError)) throw err;
      }
      const summary = await rebuildFile(absolute, open, cause.kind, { logger, unlessReplaced: inode });
      if (summary === null) return;
      logger.warn(
        `results database ${summary.file} was ${cause.kind === 'corrupt' ? 'unreadable' : 'incompatible'} (${cause.reason}); ` +
          `moved it to ${summary.movedTo} and rebuilt it from the run manifests: ${describeRebuild(summary)}`,
      );
    })().finally(() => healing.delete(absolute));
    healing.set(absolute, pending);
  }
  await pending;
}

/**
 * Builds a fresh database from the manifests under the folder of `absolute`, then moves the
 * existing file aside under `label` and puts the fresh one in its place. With `holdLock`,
 * first waits for this and other processes' writers of the old file to finish. With
 * `unlessReplaced`, gives up (null) when the file is no longer that inode.
 */
export async function rebuildFile(
  absolute: string,
  open: OpenResultsDb,
  label: string,
  options: { logger: StoreLogger; holdLock?: boolean; unlessReplaced?: number },
): Promise<RebuildSummary | null> {
  const fresh = `${absolute}.rebuild-${process.pid}`;
  await removeScratch(fresh);
  let counts: Omit<RebuildSummary, 'file' | 'movedTo'>;
  try {
    const db = await open(fresh, { heal: false, logger: options.logger });
    try {
      counts = await ingestManifests(db, path.dirname(absolute), options.logger);
      await db.query('CHECKPOINT'); // everything in the file itself, none in a .wal
    } finally {
      db.closeSync();
    }
  } catch (err) {
    await removeScratch(fresh);
    throw err;
  }

  if (options.holdLock && existsSync(absolute)) {
    // Wait for the writers of the old file to finish; close it before the rename, since DuckDB
    // finds a file's .wal by name, and the name is about to belong to the new file.
    const old = await open(absolute, { heal: false }).catch((err: unknown) => {
      if (err instanceof ResultsCorruptError) return null;
      throw err;
    });
    old?.closeSync();
  }
  if (options.unlessReplaced !== undefined && (await inodeOf(absolute)) !== options.unlessReplaced) {
    await removeScratch(fresh);
    return null;
  }
  const movedTo = await moveAside(absolute, label);
  await rename(fresh, absolute).catch((err: unknown) => {
    throw accessError(err, path.dirname(absolute), 'replace the results database') ?? err;
  });
  return { file: displayPath(absolute), movedTo: movedTo === null ? null : displayPath(movedTo), ...counts };
}

/** `3 completed, 1 failed, 1 skipped (a-1f2e: artifact ... is missing)`. */
export function describeRebuild(summary: RebuildSummary): string {
  const skipped =
    summary.skipped.length === 0
      ? ''
      : `, ${summary.skipped.length} skipped (${summary.skipped.map((s) => `${s.runId}: ${s.reason}`).join('; ')})`;
  return `${summary.completed} completed, ${summary.failed} failed${skipped}`;
}

/** Ingests every manifest under `dataRoot` into `db`: completed runs with their verified artifacts and rates, failed runs as rows. */
async function ingestManifests(db: ResultsDb, dataRoot: string, logger: StoreLogger): Promise<Omit<RebuildSummary, 'file' | 'movedTo'>> {
  const summary: Omit<RebuildSummary, 'file' | 'movedTo'> = { completed: 0, failed: 0, skipped: [] };
  const manifests = await listRunManifests(dataRoot);
  if (manifests.length === 0) return summary;
  const store = await ArtifactStore.create(dataRoot, { logger });
  for (const entry of manifests) {
    if ('error' in entry) {
      summary.skipped.push({ runId: entry.runId, reason: entry.error });
      continue;
    }
    const m = entry.manifest;
    try {
      if (m.status === 'failed') {
        await db.recordFailedRun(runRowFromManifest(m));
        summary.failed += 1;
        continue;
      }
      const [spectrum, gram, ntkCheck, ntkDirections, losses, projections] = await Promise.all([
        store.readTable(artifact(m, 'spectrum')),
        m.artifacts?.gram ? store.readTable(m.artifacts.gram) : null,
        m.artifacts?.ntkCheck ? store.readTable(m.artifacts.ntkCheck) : null,
        // Absent in manifests of runs from before the finite-width twin.
        m.artifacts?.ntkDirections ? store.readTable(m.artifacts.ntkDirections) : null,
        store.readTable(artifact(m, 'losses')),
        store.readTable(artifact(m, 'projections')),
      ]);
      // Spectrum artifacts are shared across learning rates (no theory_rate): add the run's, as analysis does.
      const withRates = spectrum.getChild('theory_rate') ? spectrum : withTheoryRates(spectrum, learningRateOf(m));
      const run = { run: runRowFromManifest(m), spectrum: withRates, gram, ntkCheck, ntkDirections };
      await db.ingestRun({ ...run, losses, projections });
      await db.fitRates(m.runId);
      summary.completed += 1;
    } catch (err) {
      summary.skipped.push({ runId: m.runId, reason: (err as Error).message.split('\n')[0]! });
    }
  }
  return summary;
}

function learningRateOf(m: RunManifest): number {
  const lr = (m.spec.training as { learningRate?: unknown } | undefined)?.learningRate;
  if (typeof lr !== 'number' || !(lr > 0)) throw new Error('its manifest has no spec.training.learningRate');
  return lr;
}

function artifact(m: RunManifest, name: string): ArtifactRef {
  const ref = m.artifacts?.[name];
  if (!ref) throw new Error(`its manifest names no ${name} artifact`);
  return ref;
}

async function inodeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).ino;
  } catch {
    return null;
  }
}

/** A scratch file of an interrupted rebuild by this pid: ours to remove. */
async function removeScratch(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.wal`, { force: true });
}
