/**
 * `specbias run SPEC`: run one pipeline to completion with a progress line, then print the
 * per-degree rates read back from results.duckdb with SQL.
 *
 * The workflow id is the run id (from the spec hash): running the same spec again while it
 * runs attaches to it; after it finished, a new execution finds every artifact cached.
 *
 * A run with nothing left to compute (src/pipeline/cached-run.ts says which) is answered from
 * the store and results.duckdb without Temporal: no server, no worker, and @temporalio/* is
 * never loaded (it is imported only on the path that needs it). `--via-temporal` skips that.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../spec/load.js';
import { runIdFor } from '../spec/hash.js';
import { parseSpec, type PipelineSpec } from '../spec/schema.js';
import { replicatesAsSweep, sweepPoints } from '../spec/sweep.js';
import { sweepPointLabels } from '../spec/point-labels.js';
import { summarizeReplicates } from './replicates.js';
import { withResultsDb, type ResultsDb } from '../store/results-db.js';
import { ensureWritableDataRoot } from '../store/data-root.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { manifestPath, runRecord, runRowFromManifest } from '../store/run-manifest.js';
import { findCachedRun, type CachedRun } from '../pipeline/cached-run.js';
import { gridPointSpecs } from '../spec/grid.js';
import type { Session } from '../temporal/session.js';
import { TASK_QUEUE } from '../temporal/task-queue.js';
import { PIPELINE_WORKFLOW, PROGRESS_QUERY, SWEEP_WORKFLOW } from '../pipeline/names.js';
import type { PipelineResult, Progress, SweepProgress, SweepResult } from '../pipeline/types.js';
import { provenance } from '../provenance.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, formatNumber, formatTable, print, printJson, say } from './io.js';
import { followRun, sweepLine } from './progress.js';
import { invocation } from './help.js';
import { runMemo } from '../../workflows/memo.js';
import { jsonRate, queryRates, readRates, summaryTable, type RateRow } from './run-output.js';

export { jsonRate, readRates, summaryTable, type RateRow } from './run-output.js';

export async function runCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length !== 1)
    throw new CliError('run: expected one SPEC file (usage: specbias run SPEC [--set path=value]... [--json])', 2);
  const spec = await loadSpec(positionals[0]!, (values.set as string[] | undefined) ?? []);
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const runId = runIdFor(spec);
  const json = Boolean(values.json);
  const t0 = performance.now();

  let session: Session | null = null;
  // Set by a signal: the shutdown that ends the process with the signal's exit code.
  let stopping: Promise<never> | null = null;
  const stop = (signal: NodeJS.Signals): Promise<never> =>
    (stopping ??= (async () => {
      say(`\nspecbias: ${signal}, shutting down (the workflow ${runId} stays resumable: run the same command again)`);
      await session?.abort().catch(() => undefined);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })());
  const onSigint = () => void stop('SIGINT');
  const onSigterm = () => void stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    await ensureWritableDataRoot(dataRoot);
    const replicated = replicatesAsSweep(spec as unknown as Record<string, unknown>);
    const sweep = replicated ? parseSpec(replicated) : spec.sweep ? spec : null;
    if (!values['via-temporal']) {
      if (sweep && (await answerSweepFromStore(sweep, dataRoot, json, t0, Boolean(replicated)))) return 0;
      if (!sweep && (await answerFromStore(spec, dataRoot, json, t0))) return 0;
    }
    const { openSession } = await import('../temporal/session.js');
    session = await openSession({ dataRoot, worker: !values['no-worker'], log: say });
    if (sweep) return await runSweep(session, sweep, dataRoot, json, t0, Boolean(replicated));
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
    printRun(result, await readRates(dataRoot, result.runId), dataRoot, json, t0);
    return 0;
  } catch (err) {
    // Shutting down under a signal makes the run's own calls fail: the signal's exit code wins.
    if (stopping) return await stopping;
    const { WorkflowFailedError } = await import('@temporalio/client');
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

/** The summary of one completed run: the rates table (or JSON) on stdout, where to find it on stderr. */
function printRun(
  result: Pick<PipelineResult, 'runId' | 'status' | 'manifest' | 'engine' | 'backend'>,
  rates: RateRow[],
  dataRoot: string,
  json: boolean,
  t0: number,
): void {
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
}

/**
 * Answers a run with nothing left to compute from the store and results.duckdb, as a cached run
 * through Temporal would: every step marked cached, the rerun recorded in the manifest and the
 * `runs` row, the same summary printed. False (nothing printed or written) when anything is not
 * verified: the caller runs it through Temporal, which recomputes what is needed.
 */
async function answerFromStore(spec: PipelineSpec, dataRoot: string, json: boolean, t0: number): Promise<boolean> {
  const startedAt = new Date();
  const found = await findCachedRun(dataRoot, spec);
  if ('reason' in found) return throughTemporal(runIdFor(spec), found.reason);
  const { runId, manifest, timings } = found;
  const db = join(dataRoot, 'results.duckdb');
  if (!existsSync(db)) return throughTemporal(runId, 'no results database');
  const rates = await withResultsDb(db, {}, async (results) => {
    const rates = await cachedRates(results, found);
    return rates && (await recordRerun(results, found, dataRoot, startedAt)) ? rates : null;
  });
  if (!rates) return throughTemporal(runId, 'the results database does not hold the completed run with its rates');
  const progress: Progress = { runId, stage: 'completed', step: 0, totalSteps: 0, pointsDone: 1, pointsTotal: 1, timings };
  say(`run ${runId}: every step cached; answered from ${dataRoot} without Temporal (--via-temporal runs it through Temporal)`);
  await followRun(() => Promise.resolve(progress), Promise.resolve());
  const engine = manifest.engine ?? 'unknown';
  const backend = manifest.backend ?? 'unknown';
  printRun({ runId, status: 'completed', manifest: manifestPath(runId), engine, backend }, rates, dataRoot, json, t0);
  return true;
}

/**
 * {@link answerFromStore} for a sweep (or a replicated spec): when every grid point is a
 * completed point of this sweep with nothing left to compute, the sweep's table is printed from
 * the store and each point's rerun recorded, with no dev server and no worker.
 */
async function answerSweepFromStore(
  spec: PipelineSpec,
  dataRoot: string,
  json: boolean,
  t0: number,
  replicates: boolean,
): Promise<boolean> {
  const startedAt = new Date();
  const sweepId = runIdFor(spec);
  const found: CachedRun[] = [];
  // Each point's spec as the sweep workflow starts it (src/spec/grid.ts), validated.
  for (const { spec: raw } of gridPointSpecs(spec as unknown as Record<string, unknown>)) {
    const point = parseSpec(raw);
    const cached = await findCachedRun(dataRoot, point, sweepId);
    if ('reason' in cached) return throughTemporal(sweepId, `point ${runIdFor(point)}: ${cached.reason}`);
    found.push(cached);
  }
  const points = found.length;
  if (points === 0) return throughTemporal(sweepId, 'the grid has no points');
  const db = join(dataRoot, 'results.duckdb');
  if (!existsSync(db)) return throughTemporal(sweepId, 'no results database');
  const rates = await withResultsDb(db, {}, async (results) => {
    // Every point first, so that a sweep that goes through Temporal after all records no rerun.
    const byRun = new Map<string, RateRow[]>();
    for (const point of found) {
      const rates = await cachedRates(results, point);
      if (!rates) return null;
      byRun.set(point.runId, rates);
    }
    for (const point of found) if (!(await recordRerun(results, point, dataRoot, startedAt))) return null;
    return byRun;
  });
  if (!rates) return throughTemporal(sweepId, 'the results database does not hold every completed point with its rates');
  say(`sweep ${sweepId}: every point cached; answered from ${dataRoot} without Temporal (--via-temporal runs it through Temporal)`);
  const result: SweepResult = { sweepId, status: 'completed', pointsTotal: points, pointsDone: points, failed: [] };
  return printSweep(spec, result, rates, json, t0, replicates) === 0;
}

/** False, after saying why under SPECBIAS_DEBUG: the run goes through Temporal. */
function throughTemporal(id: string, why: string): false {
  if (process.env.SPECBIAS_DEBUG) say(`specbias: running ${id} through Temporal: ${why}`);
  return false;
}

/** The rates of a cached run when results.duckdb holds it as completed, with its spec hash and rates; else null. */
async function cachedRates(results: ResultsDb, { runId, manifest }: CachedRun): Promise<RateRow[] | null> {
  const [row] = await results.query('SELECT status, spec_hash FROM runs WHERE run_id = $run_id', { run_id: runId });
  if (row?.status !== 'completed' || row.spec_hash !== manifest.specHash) return null;
  const rates = await queryRates(results, runId);
  return rates.length ? rates : null;
}

/**
 * Records a rerun of a cached run, exactly as the analysis step records a run whose every step
 * was cached: in its manifest and its `runs` row. False when the row is not there to update.
 */
async function recordRerun(results: ResultsDb, found: CachedRun, dataRoot: string, startedAt: Date): Promise<boolean> {
  const { runId, manifest, raw, timings } = found;
  const record = runRecord(manifest, {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    codeVersion: provenance().codeVersion,
    timings,
    artifacts: manifest.artifacts ?? {},
  });
  await writeJsonAtomic(join(dataRoot, manifestPath(runId)), { ...raw, ...record });
  const run = runRowFromManifest({ ...manifest, ...record });
  return results.recordRerun(runId, run.reruns ?? 0, run.lastRerunAt ?? startedAt);
}

interface Handle {
  query<T>(name: string): Promise<T>;
  result(): Promise<unknown>;
}

async function waitWithProgress(handle: Handle): Promise<PipelineResult> {
  return followRun(() => handle.query<Progress>(PROGRESS_QUERY), handle.result() as Promise<PipelineResult>);
}

/** Points named by the spec fields they differ in, as the report names them, and by seed when the grid varies it. */
function sweepLabels(spec: PipelineSpec): { pointNames: Map<string, string>; labels: Map<string, string> } {
  const pointNames = sweepPointLabels(spec);
  const labels = new Map(
    sweepPoints(spec).map(({ runId, params }) => [
      runId,
      [pointNames.get(runId) ?? '', 'seed' in params ? `seed=${JSON.stringify(params.seed)}` : ''].filter(Boolean).join(' ') || runId,
    ]),
  );
  return { pointNames, labels };
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
  const { labels } = sweepLabels(spec);
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
  const rates = new Map<string, RateRow[]>();
  const failedIds = new Set(result.failed.map((f) => f.runId));
  for (const { runId } of sweepPoints(spec)) rates.set(runId, failedIds.has(runId) ? [] : await readRates(dataRoot, runId));
  return printSweep(spec, result, rates, json, t0, replicates);
}

/** A finished sweep's table (or JSON) of every point's rates; its exit code. */
function printSweep(
  spec: PipelineSpec,
  result: SweepResult,
  rates: ReadonlyMap<string, RateRow[]>,
  json: boolean,
  t0: number,
  replicates: boolean,
): number {
  const sweepId = result.sweepId;
  const { pointNames, labels } = sweepLabels(spec);
  const failed = new Map(result.failed.map((f) => [f.runId, f.error]));
  const points = [];
  for (const { params, runId } of sweepPoints(spec)) {
    const error = failed.get(runId);
    points.push({
      runId,
      params,
      status: error ? 'failed' : 'completed',
      ...(error ? { error } : {}),
      rates: error ? [] : (rates.get(runId) ?? []),
    });
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
        const point = pointNames.get(s.replicates[0]!);
        if (point) print(point);
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
          labels.get(p.runId) ?? p.runId,
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
