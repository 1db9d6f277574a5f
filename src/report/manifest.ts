/**
 * A run's manifest, `<data>/runs/<run-id>/manifest.json` (DESIGN §6), read
 * for the provenance section of a report. Every field is optional here: a
 * report still comes out of a database whose manifests are gone or older.
 *
 * ```ts
 * const manifest = await readManifest('data', 'quickstart-1f370a29381c'); // null when absent
 * manifest?.code?.codeVersion;
 * ```
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ArtifactRefLike {
  path?: string;
  sha256?: string;
  rows?: number;
}

export interface RunManifest {
  runId?: string;
  specHash?: string;
  sweepId?: string | null;
  spec?: unknown;
  seeds?: { seed?: number; streams?: string[] };
  artifacts?: Record<string, ArtifactRefLike>;
  engine?: string;
  backend?: string;
  /** The BLAS/LAPACK the worker's native addon loaded (blasProvenance); null without. */
  blas?: { name?: string; library?: string; config?: string | null; corename?: string | null; threads?: number | null } | null;
  code?: { package?: { name?: string; version?: string }; gitCommit?: string | null; codeVersion?: string };
  dependencies?: Record<string, string>;
  host?: { hostname?: string; platform?: string; arch?: string; cpus?: number; cpuModel?: string; memoryGiB?: number; node?: string };
  startedAt?: string;
  finishedAt?: string;
  timings?: { step?: string; seconds?: number; cached?: boolean }[];
}

/** Where the manifest of `runId` lives under `dataRoot`. */
export function manifestPath(dataRoot: string, runId: string): string {
  return path.join(dataRoot, 'runs', runId, 'manifest.json');
}

/** The parsed manifest, or null when the file does not exist. A file that is not JSON throws, naming it. */
export async function readManifest(dataRoot: string, runId: string): Promise<RunManifest | null> {
  const file = manifestPath(dataRoot, runId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as RunManifest;
  } catch (err) {
    throw new Error(`manifest ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
