/**
 * The words of `--help`: what each option does, and how to call specbias here.
 * Descriptions are looked up as `command:option` first, then `option`, so
 * options shared by several commands (--json, --data) are described once.
 * A test checks that every option of every command has one.
 *
 * ```ts
 * optionHelp('report', 'out'); // 'the output folder (default <data>/reports/<id>/)'
 * invocation();                // 'specbias' or 'npx specbias'
 * ```
 */

import { accessSync, constants } from 'node:fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const OPTION_HELP: Record<string, string> = {
  json: 'print one JSON value on stdout (camelCase keys, ISO-8601 times) instead of a table',
  data: 'the data root: results.duckdb, artifacts/, runs/, reports/ (default $SPECBIAS_DATA or ./data)',
  csv: 'print CSV on stdout instead of a table',
  set: 'override one spec field, path=value (YAML value); repeat for more',
  'run:no-worker': 'do not start a worker in this process (one already polls task queue "specbias")',
  'server:port': 'the frontend gRPC port (default 7233)',
  'server:ui-port': 'the Web UI port (default 8233)',
  'server:ip': 'the address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)',
  'sql:file': 'read the SQL from FILE (- for stdin) instead of the argument',
  'spectrum:dim': 'the input dimension D (inputs on the sphere S^(D-1)), 2..1000',
  'spectrum:max-degree': 'the largest degree k listed, 0..200',
  'run:allow-large': 'run even when the size estimate says the spec will not fit this machine (memory or free disk)',
  'run:via-temporal':
    'run through Temporal even when every step is cached (by default such a rerun is answered from the store without a server)',
  'spectrum:depth': 'the number of weight layers L of the model family (default 2, the paper)',
  'spectrum:bias': 'the bias scale beta >= 0 of the model family (default 0)',
  'spectrum:activation': 'the activation: relu (default), erf, tanh or gelu',
  'spectrum:learning-rate': "also list the theory rate -ln(1 - eta' mu_k) for this NTK-scaled learning rate eta'",
  'report:out': 'the output folder (default <data>/reports/<id>/)',
  'spec:schema': 'print the JSON Schema of a spec instead of a spec',
  'runs:where':
    'keep the runs for which this SQL predicate holds; columns: run_id, name, sweep_id, status, engine, started_at, seconds, dim, n, n_test, width, depth, bias, activation, theta, learning_rate, steps, seed, distribution, target, e.g. "width >= 1024 AND seed = 0"',
  'runs:sort': 'order by these columns (SQL ORDER BY list, e.g. "width DESC, seed"); default: newest first',
  'runs:csv': 'print CSV on stdout instead of a table',
  'bench:n': 'training points n (train) or Gram size n (eigen)',
  'bench:dim': 'input dimension D',
  'bench:width': 'network width m',
  'bench:steps': 'GD steps timed',
  'bench:engine': 'training engine (as training.engine in a spec; default auto)',
  'bench:depth': 'train: weight layers L of the model family (default 2, the paper; L > 2 adds m x m hidden layers)',
  'bench:bias': 'train: bias scale beta >= 0 of the model family (default 0)',
  'bench:activation': 'train: activation of the model family: relu (default), erf, tanh or gelu',
  'bench:method': 'eigensolver: auto, lapack-dsyevd or ml-matrix',
};

/** The description of `--option` of `command`, or undefined when there is none. */
export function optionHelp(command: string, option: string): string | undefined {
  return OPTION_HELP[`${command}:${option}`] ?? OPTION_HELP[option];
}

/** 'specbias' when it is on PATH, else 'npx specbias' (run from the project folder). */
export function invocation(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, 'specbias'), constants.X_OK);
      return 'specbias';
    } catch {
      // not in this folder
    }
  }
  return 'npx specbias';
}

/** The package version, from package.json beside dist/ or src/. */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'specbias' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}
