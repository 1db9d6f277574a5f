/**
 * `specbias run SPEC`: run one pipeline to completion with a progress line, then print the
 * per-degree rates read back from results.duckdb with SQL.
 *
 * The workflow id is the run id (from the spec hash): running the same spec again while it
 * runs attaches to it; after it finished, a new execution finds every artifact cached.
 */
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { loadSpec } from '../spec/load.js';
import { runIdFor } from '../spec/hash.js';
import { parseSpec, type PipelineSpec } from '../spec/schema.js';
import { replicatesAsSweep, sweepPoints } from '../spec/sweep.js';
import { summarizeReplicates } from './replicates.js';
import { withResultsDb } from '../store/results-db.js';
import { ensureWritableDataRoot } from '../store/data-root.js';
import { openSession, type Session } from '../temporal/session.js';
import { TASK_QUEUE } from '../temporal/task-queue.js';
import { PIPELINE_WORKFLOW, PROGRESS_QUERY, SWEEP_WORKFLOW } from '../pipeline/names.js';
import type { PipelineResult, Progress, RateSummary, SweepProgress, SweepResult } from '../pipeline/types.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, formatNumber, formatTable, print, printJson, say } from './io.js';
import { followRun, sweepLine } from './progress.js';
import { invocation } from './help.js';
import { runMemo } from '../../workflows/memo.js';
import { slopeInterval } from '../math/student-t.js';

export async function runCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length !== 1)
    throw new CliError('run: expected one SPEC file (usage: specbias run SPEC [--set path=value]... [--json])', 2);
  const spec = await loadSpec(positionals[0]!, (values.set as string[] | undefined) ?? []);
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const runId = runIdFor(spec);
  const json = Boolean(values.json);
  const t0 = performance.now();

  let session: Session | null = null;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    say(`\nspecbias: ${signal}, shutting down (the workflow ${runId} stays resumable: run the same command again)`);
    stopping = true;
    await session?.abort().catch(() => undefined);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onSigint = () => void stop('SIGINT');
  const onSigterm = () => void stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    await ensureWritableDataRoot(dataRoot);
    session = await openSession({ dataRoot, worker: !values['no-worker'], log: say });
    const replicated = replicatesAsSweep(spec as unknown as Record<string, unknown>);
    if (replicated) return await runSweep(session, parseSpec(replicated), dataRoot, json, t0, true);
    if (spec.sweep) return await runSweep(session, spec, dataRoot, json, t0);
    const handle = await session.client.workflow.start(PIPELINE_WORKFLOW, {
      taskQueue: TASK_QUEUE,
      workflowId: runId,
      args: [spec],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: runMemo(spec, null),
    });
    say(`run ${runId} (workflow ${handle.workflowId}) on ${session.address}`);
    if (session.server?.uiUrl && !session.server.foreground)
      say(
        `Web UI ${session.server.uiUrl} until the dev server idles out (SPECBIAS_SERVER_IDLE_S, default 300 s); to keep it, run \`specbias server\` in another terminal first`,
      );
    const result = await waitWithProgress(handle);
    const rates = await readRates(dataRoot, result.runId);
    const seconds = (performance.now() - t0) / 1000;
    if (json) {
      printJson({
        runId: result.runId,
        status: result.status,
        replicates: [result.runId],
        rates: rates.map(jsonRate),
        manifest: join(dataRoot, result.manifest),
      });
    } else {
      print(summaryTable(rates));
      say(
        `\n${result.runId} completed in ${seconds.toFixed(1)} s (engine ${result.engine}/${result.backend}); manifest ${join(dataRoot, result.manifest)}`,
      );
      say(
        `query it: ${invocation()} sql "SELECT * FROM rates WHERE run_id = '${result.runId}'"; explore it: ${invocation()} report ${result.runId}`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = (err.cause as Error | undefined)?.cause ?? err.cause;
      throw new CliError(`run ${runId} failed: ${(cause as Error | undefined)?.message ?? err.message}`);
    }
    // A failing server (disk full, a locked database) shows up here as a gRPC error: say what the server said.
    const serverError = err instanceof CliError ? null : session?.server?.lastError();
    if (serverError) throw new CliError(`run ${runId} failed: the Temporal dev server reported: ${serverError}`);
    throw err;
  } finally {
    if (!stopping) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      await session?.close();
    }
  }
}

interface Handle {
  query<T>(name: string): Promise<T>;
  result(): Promise<unknown>;
}

async function waitWithProgress(handle: Handle): Promise<PipelineResult> {
  return followRun(() => handle.query<Progress>(PROGRESS_QUERY), handle.result() as Promise<PipelineResult>);
}

/** One degree's rates as the summary shows them: the same shape the workflow returns. */
export type RateRow = RateSummary;

/** The summary comes from the database, not from the workflow's return value. */
export async function readRates(dataRoot: string, runId: string): Promise<RateRow[]> {
  const rows = await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, (db) =>
    db.query(
      `SELECT degree, fitted_rate, theory_rate, kernel_rate, init_kernel_rate, ratio, r2, stderr, window_start, window_end, n_points, note
         FROM rates WHERE run_id = $run_id AND split = 'train' AND kind = 'target' ORDER BY degree`,
      { run_id: runId },
    ),
  );
  const num = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  return rows.map((r) => ({
    degree: Number(r.degree),
    fittedRate: num(r.fitted_rate),
    theoryRate: num(r.theory_rate),
    kernelRate: num(r.kernel_rate),
    initKernelRate: num(r.init_kernel_rate),
    ratio: num(r.ratio),
    r2: num(r.r2),
    stderr: num(r.stderr),
    window: r.window_start === null || r.window_end === null ? null : [Number(r.window_start), Number(r.window_end)],
    nPoints: num(r.n_points),
    note: (r.note as string | null) ?? null,
  }));
}

/** One run's rate as `run --json` prints it: ci95 is the slope's 95% interval (t with n_points - 2 degrees of freedom). */
export function jsonRate(r: RateRow) {
  const ci95 = r.fittedRate === null || r.stderr == null || r.nPoints == null ? null : slopeInterval(r.fittedRate, r.stderr, r.nPoints);
  return {
    degree: r.degree,
    fittedRate: r.fittedRate,
    ci95,
    n: 1,
    kernelRate: r.kernelRate,
    initKernelRate: r.initKernelRate ?? null,
    theoryRate: r.theoryRate,
    ratio: r.ratio,
    r2: r.r2,
    stderr: r.stderr ?? null,
    window: r.window ?? null,
    nPoints: r.nPoints ?? null,
    note: r.note,
  };
}

export function summaryTable(rates: RateRow[]): string {
  const over = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
  return formatTable(
    [
      'degree',
      'fitted rate',
      'init kernel rate',
      'kernel rate',
      'theory rate',
      'fitted/init',
      'fitted/kernel',
      'fitted/theory',
      'r2',
      'points',
      'note',
    ],
    rates.map((r) => [
      r.degree,
      formatNumber(r.fittedRate),
      formatNumber(r.initKernelRate ?? null),
      formatNumber(r.kernelRate),
      formatNumber(r.theoryRate),
      formatNumber(over(r.fittedRate, r.initKernelRate ?? null), 4),
      formatNumber(over(r.fittedRate, r.kernelRate), 3),
      formatNumber(r.ratio, 3),
      formatNumber(r.r2, 3),
      r.nPoints ?? '',
      r.note ?? '',
    ]),
  );
}

/** A sweep: one child pipeline per grid point, then a table of every point's rates. */
async function runSweep(
  session: Session,
  spec: PipelineSpec,
  dataRoot: string,
  json: boolean,
  t0: number,
  replicates = false,
): Promise<number> {
  const sweepId = runIdFor(spec);
  const handle = await session.client.workflow.start(SWEEP_WORKFLOW, {
    taskQueue: TASK_QUEUE,
    workflowId: sweepId,
    args: [spec],
    workflowIdConflictPolicy: 'USE_EXISTING',
    memo: runMemo(spec, null),
  });
  say(`sweep ${sweepId} on ${session.address}`);
  const labels = new Map(
    sweepPoints(spec).map(({ runId, params }) => [
      runId,
      Object.entries(params)
        .map(([k, v]) => `${k.split('.').at(-1)}=${JSON.stringify(v)}`)
        .join(' '),
    ]),
  );
  const tty = process.stderr.isTTY;
  let shown = -1;
  const timer = setInterval(() => {
    handle
      .query<SweepProgress>(PROGRESS_QUERY)
      .then((p) => {
        const line = sweepLine(p, labels);
        if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
        else if (p.pointsDone !== shown) say(line);
        shown = p.pointsDone;
      })
      .catch(() => undefined);
  }, 1000);
  let result: SweepResult;
  try {
    result = (await handle.result()) as SweepResult;
  } finally {
    clearInterval(timer);
    if (tty) process.stderr.write('\n');
  }
  const failed = new Map(result.failed.map((f) => [f.runId, f.error]));
  const points = [];
  for (const { params, runId } of sweepPoints(spec)) {
    const error = failed.get(runId);
    const rates = error ? [] : await readRates(dataRoot, runId);
    points.push({ runId, params, status: error ? 'failed' : 'completed', ...(error ? { error } : {}), rates });
  }
  if (replicates) {
    // A replicated spec: one summary over the seeds (a replicated sweep prints one per grid point).
    const groups = new Map<string, typeof points>();
    for (const p of points) {
      const { seed: _seed, ...rest } = p.params;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const summaries = [...groups.values()].map((group) => {
      const { seed: _seed, ...params } = group[0]!.params;
      return {
        params,
        replicates: group.map((p) => p.runId),
        rates: summarizeReplicates(group.filter((p) => p.status === 'completed').map((p) => p.rates)),
      };
    });
    if (json) {
      const only = summaries.length === 1 ? summaries[0]! : null;
      printJson(
        only
          ? { sweepId, status: result.status, replicates: only.replicates, rates: only.rates }
          : { sweepId, status: result.status, points: summaries },
      );
    } else {
      for (const s of summaries) {
        if (Object.keys(s.params).length)
          print(
            Object.entries(s.params)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' '),
          );
        print(`replicates: ${s.replicates.join(', ')}`);
        print(
          formatTable(
            ['degree', 'fitted rate (mean)', '95% interval', 'n', 'init kernel rate', 'kernel rate', 'theory rate', 'note'],
            s.rates.map((r) => [
              r.degree,
              formatNumber(r.fittedRate),
              r.ci95 ? `[${formatNumber(r.ci95[0])}, ${formatNumber(r.ci95[1])}]` : '',
              r.n,
              formatNumber(r.initKernelRate),
              formatNumber(r.kernelRate),
              formatNumber(r.theoryRate),
              r.note ?? '',
            ]),
          ),
        );
      }
      say(`\n${sweepId} ${result.status} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return result.status === 'completed' ? 0 : 1;
  }
  if (json) {
    printJson({
      sweepId,
      status: result.status,
      points: points.map((p) => ({
        ...p,
        rates: p.rates.map((r) => ({ degree: r.degree, fittedRate: r.fittedRate, theoryRate: r.theoryRate, ratio: r.ratio })),
      })),
    });
  } else {
    const degrees = [...new Set(points.flatMap((p) => p.rates.map((r) => r.degree)))].sort((a, b) => a - b);
    print(
      formatTable(
        ['point', ...degrees.map((d) => `rate k=${d}`), 'run', 'status'],
        points.map((p) => [
          Object.entries(p.params)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(' '),
          ...degrees.map((d) => formatNumber(p.rates.find((r) => r.degree === d)?.fittedRate ?? null)),
          p.runId,
          p.status,
        ]),
      ),
    );
    say(
      `\n${sweepId} ${result.status}: ${result.pointsDone}/${result.pointsTotal} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const [runId, error] of failed) say(`  ${runId} failed: ${error}`);
  }
  return result.failed.length ? 1 : 0;
}
