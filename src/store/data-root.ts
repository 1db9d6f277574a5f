/**
 * The data root must be writable before anything starts: a read-only one is one line naming
 * the directory and why, not an EACCES from deep inside a run.
 *
 * ```ts
 * const root = await ensureWritableDataRoot('data');   // absolute path; throws DataRootAccessError
 * ```
 */

import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { accessError } from './errors.js';

export const DATA_ROOT_PURPOSE = 'write its artifacts, run manifests and results.duckdb';

/** Creates `root` (like `mkdir -p`) and proves a file can be written in it; returns its absolute path. */
export async function ensureWritableDataRoot(root: string): Promise<string> {
  const absolute = path.resolve(root);
  const probe = path.join(absolute, `.write-probe-${process.pid}`);
  try {
    await mkdir(absolute, { recursive: true });
    await writeFile(probe, '');
  } catch (err) {
    throw accessError(err, absolute, DATA_ROOT_PURPOSE) ?? err;
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  return absolute;
}
