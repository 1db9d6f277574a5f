/**
 * `specbias runs [--where PREDICATE] [--sort COLUMNS] [--json|--csv]`: one row per run with
 * its key parameters, status, duration and each degree's fitted rate (train split, kind target),
 * like `dvc exp show`. --where and --sort are SQL over the columns of {@link RUN_COLUMNS_SQL}.
 *
 * ```sh
 * specbias runs --where "width >= 1024" --sort "seed" --json
 * ```
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReportQueries } from '../report/queries.js';
import { withResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { csvText, dataRootFrom, formatNumber, formatTable, print, printJson } from './io.js';

/** The columns --where and --sort can use: the runs table joined with the run_params view. */
export const RUN_COLUMNS_SQL = `
  SELECT r.run_id, r.name, r.sweep_id, r.status, r.engine, r.backend, r.started_at, r.finished_at, r.error, r.reruns,
         date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 AS seconds,
         p.dim, p.n, p.n_test, p.width, p.depth, p.bias, p.activation, p.theta, p.learning_rate, p.steps, p.seed,
         p.distribution, p.target, p.config_id
    FROM runs AS r JOIN run_params AS p USING (run_id)`;

export interface RunListing {
  runId: string;
  name: string;
  sweepId: string | null;
  status: string;
  /** A failed run's one line. */
  error: string | null;
  /** Later executions that found every step cached. */
  reruns: number;
  params: {
    dim: number | null;
    n: number | null;
    nTest: number | null;
    width: number | null;
    /** The model family (docs/science.md): weight layers L, bias scale beta, activation; the paper's are 2, 0, relu. */
    depth: number | null;
    bias: number | null;
    activation: string | null;
    theta: number | null;
    learningRate: number | null;
    steps: number | null;
    seed: number | null;
    distribution: string | null;
    target: string | null;
    engine: string;
    backend: string;
  };
  /** Train split, kind target: the paper's measurement. */
  rates: { degree: number; fittedRate: number | null; theoryRate: number | null; kernelRate: number | null }[];
  startedAt: string | null;
  finishedAt: string | null;
  seconds: number | null;
}

/** The runs matching `where` (SQL predicate, or none), ordered by `sort` (SQL ORDER BY list; default newest first). */
export async function listRuns(database: string, where?: string, sort?: string): Promise<RunListing[]> {
  return withResultsDb(database, { readOnly: true }, async (db) => {
    const q = await ReportQueries.create(db);
    const sql = `SELECT * FROM (${RUN_COLUMNS_SQL}) AS runs_view ${where ? `WHERE (${where})` : ''} ORDER BY ${sort ?? 'started_at DESC'}, run_id`;
    const rows = await q.select(sql).catch((err: Error) => {
      throw new CliError(`runs: ${where || sort ? '--where/--sort: ' : ''}${err.message.split('\n')[0]}`, where || sort ? 2 : 1);
    });
    const rates = await q.select(
      `SELECT run_id, degree, fitted_rate, theory_rate, kernel_rate FROM rates WHERE split = 'train' AND kind = 'target' ORDER BY run_id, degree`,
    );
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return rows.map((r) => ({
      runId: r.run_id as string,
      name: r.name as string,
      sweepId: (r.sweep_id as string | null) ?? null,
      status: r.status as string,
      error: (r.error as string | null) ?? null,
      reruns: Number(r.reruns ?? 0),
      params: {
        dim: num(r.dim),
        n: num(r.n),
        nTest: num(r.n_test),
        width: num(r.width),
        depth: num(r.depth),
        bias: num(r.bias),
        activation: (r.activation as string | null) ?? null,
        theta: num(r.theta),
        learningRate: num(r.learning_rate),
        steps: num(r.steps),
        seed: num(r.seed),
        distribution: (r.distribution as string | null) ?? null,
        target: (r.target as string | null) ?? null,
        engine: r.engine as string,
        backend: r.backend as string,
      },
      rates: rates
        .filter((x) => x.run_id === r.run_id)
        .map((x) => ({
          degree: Number(x.degree),
          fittedRate: num(x.fitted_rate),
          theoryRate: num(x.theory_rate),
          kernelRate: num(x.kernel_rate),
        })),
      startedAt: (r.started_at as string | null) ?? null,
      finishedAt: (r.finished_at as string | null) ?? null,
      seconds: num(r.seconds),
    }));
  });
}

export async function runsCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length) throw new CliError(`runs: unexpected argument "${positionals[0]}"; filter with --where "SQL predicate"`, 2);
  if (values.json && values.csv) throw new CliError('runs: choose one of --json and --csv', 2);
  const database = join(dataRootFrom(values.data as string | undefined), 'results.duckdb');
  if (!existsSync(database)) throw new CliError(`runs: no results database at ${database}; run a pipeline first (specbias run SPEC)`);
  const runs = await listRuns(database, values.where as string | undefined, values.sort as string | undefined);
  if (values.json) {
    printJson(runs);
    return 0;
  }
  const degrees = [...new Set(runs.flatMap((r) => r.rates.map((x) => x.degree)))].sort((a, b) => a - b);
  const rateOf = (r: RunListing, k: number) => r.rates.find((x) => x.degree === k)?.fittedRate ?? null;
  if (values.csv) {
    const header = [
      'runId',
      'name',
      'sweepId',
      'status',
      'seconds',
      'dim',
      'n',
      'width',
      'depth',
      'bias',
      'activation',
      'theta',
      'learningRate',
      'steps',
      'seed',
      'engine',
      'startedAt',
      ...degrees.map((k) => `rateK${k}`),
    ];
    const rows = runs.map((r) => [
      r.runId,
      r.name,
      r.sweepId,
      r.status,
      r.seconds,
      r.params.dim,
      r.params.n,
      r.params.width,
      r.params.depth,
      r.params.bias,
      r.params.activation,
      r.params.theta,
      r.params.learningRate,
      r.params.steps,
      r.params.seed,
      r.params.engine,
      r.startedAt,
      ...degrees.map((k) => rateOf(r, k)),
    ]);
    process.stdout.write(csvText(header, rows));
    return 0;
  }
  print(
    formatTable(
      [
        'run',
        'name',
        'sweep',
        'status',
        'seconds',
        'D',
        'n',
        'm',
        'L',
        'β',
        'σ',
        'θ',
        'η′',
        'steps',
        'seed',
        'engine',
        ...degrees.map((k) => `rate k=${k}`),
      ],
      runs.map((r) => [
        r.runId,
        r.name,
        r.sweepId ?? '',
        r.status,
        r.seconds === null ? null : r.seconds.toFixed(1),
        r.params.dim,
        r.params.n,
        r.params.width,
        r.params.depth,
        r.params.bias,
        r.params.activation,
        r.params.theta,
        r.params.learningRate,
        r.params.steps,
        r.params.seed,
        r.params.engine,
        ...degrees.map((k) => formatNumber(rateOf(r, k))),
      ]),
    ),
  );
  print(`(${runs.length} run${runs.length === 1 ? '' : 's'}; train split, kind target. More: specbias runs --json, specbias report RUN)`);
  return 0;
}
