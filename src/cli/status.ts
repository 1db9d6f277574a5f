/** `specbias status [RUN]`: the runs recorded in results.duckdb, or one run with its rates. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, formatTable, printJson, say } from './io.js';
import { readRates, summaryTable } from './run.js';

export async function statusCommand({ positionals, values }: CommandArgs): Promise<number> {
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const path = join(dataRoot, 'results.duckdb');
  if (!existsSync(path)) throw new CliError(`status: no results database at ${path}; no run has finished yet`);
  const [runId] = positionals;
  const runs = await withResultsDb(path, { readOnly: true }, (db) =>
    db.query(
      `SELECT run_id, name, status, engine, backend, CAST(started_at AS VARCHAR) AS started_at, CAST(finished_at AS VARCHAR) AS finished_at,
              error, reruns, CAST(last_rerun_at AS VARCHAR) AS last_rerun_at
         FROM runs ${runId ? 'WHERE run_id = $run_id' : ''} ORDER BY started_at DESC`,
      runId ? { run_id: runId } : undefined,
    ),
  );
  if (runId && runs.length === 0) throw new CliError(`status: no run "${runId}" in ${path}`);
  const rates = runId ? await readRates(dataRoot, runId) : null;
  if (values.json) {
    printJson(runId ? { ...runs[0], rates } : runs);
    return 0;
  }
  const engine = (r: Record<string, unknown>) => (r.engine === null ? null : `${String(r.engine)}/${String(r.backend)}`);
  say(formatTable(['run', 'name', 'status', 'engine', 'started', 'finished', 'reruns'], runs.map((r) => [String(r.run_id), String(r.name), String(r.status), engine(r), String(r.started_at), String(r.finished_at ?? ''), Number(r.reruns ?? 0)])));
  // A failed run's one line, so no one has to dig it out of Temporal's history.
  for (const r of runs) if (r.error) say(`${String(r.run_id)} failed: ${String(r.error)}`);
  if (rates) say(`\n${summaryTable(rates)}`);
  return 0;
}
