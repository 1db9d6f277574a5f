/**
 * `specbias status [RUN|SWEEP]`: the runs recorded in results.duckdb, or one run (an id or a
 * unique prefix, as `report` takes) with its rates, or the runs of one sweep. Tables go to stdout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AmbiguousReportTargetError, ReportTargetError } from '../report/errors.js';
import { resolveReportTarget } from '../report/target.js';
import { withResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, formatTable, print, printJson } from './io.js';
import { readRates, summaryTable } from './run-output.js';
import { listRuns } from './runs.js';

export async function statusCommand({ positionals, values }: CommandArgs): Promise<number> {
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const path = join(dataRoot, 'results.duckdb');
  if (!existsSync(path)) throw new CliError(`status: no results database at ${path}; no run has finished yet`);
  if (positionals.length > 1) throw new CliError('status: expected at most one RUN or SWEEP id (usage: specbias status [RUN|SWEEP])', 2);
  const [id] = positionals;
  const target = id
    ? await withResultsDb(path, { readOnly: true }, (db) => resolveReportTarget(db, id)).catch((err: unknown) => {
        if (err instanceof ReportTargetError || err instanceof AmbiguousReportTargetError) throw new CliError(`status: ${err.message}`);
        throw err;
      })
    : null;
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const runs = await listRuns(path, target ? `run_id IN (${target.runIds.map(quote).join(', ')})` : undefined);
  const rates = target?.kind === 'run' ? await readRates(dataRoot, target.id) : null;
  if (values.json) {
    printJson(target?.kind === 'run' ? { ...runs[0], rates } : runs);
    return 0;
  }
  print(
    formatTable(
      ['run', 'name', 'status', 'engine', 'started', 'seconds', 'reruns'],
      runs.map((r) => [
        r.runId,
        r.name,
        r.status,
        `${r.params.engine}/${r.params.backend}`,
        r.startedAt,
        r.seconds === null ? null : r.seconds.toFixed(1),
        r.reruns,
      ]),
    ),
  );
  // A failed run's one line, so no one has to dig it out of Temporal's history.
  for (const r of runs) if (r.error) print(`${r.runId} failed: ${r.error}`);
  if (rates) print(`\n${summaryTable(rates)}`);
  return 0;
}
