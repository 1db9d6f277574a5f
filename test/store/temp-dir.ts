/**
 * One fresh temp folder per test, removed afterwards.
 *
 * ```ts
 * const dir = useTempDir();
 * it('writes', async () => { await writeFile(join(dir(), 'x'), 'y'); });
 * ```
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export function useTempDir(prefix = 'specbias-store-'): () => string {
  let current: string | undefined;
  beforeEach(async () => {
    current = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (current) await rm(current, { recursive: true, force: true });
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTempDir: no test is running');
    return current;
  };
}
