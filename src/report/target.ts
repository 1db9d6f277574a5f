/**
 * What a report is about: one run (a run_id) or one sweep (a sweep_id shared
 * by its runs), named exactly or by a unique prefix.
 *
 * ```ts
 * const target = await resolveReportTarget(db, 'quickstart-1f37');
 * // { kind: 'run', id: 'quickstart-1f370a29381c', runIds: ['quickstart-1f370a29381c'] }
 * ```
 */

import type { ResultsDb } from '../store/results-db.js';
import { displayPath } from '../store/errors.js';
import { AmbiguousReportTargetError, ReportTargetError } from './errors.js';

export interface ReportTarget {
  /** 'runs': a comparison of several runs (`specbias report A B ...`). */
  kind: 'run' | 'sweep' | 'runs';
  /** The full run_id or sweep_id; for 'runs', a name made of the run ids. */
  id: string;
  /** The runs the report covers, ordered by run_id. */
  runIds: string[];
}

/**
 * An exact run_id wins, then an exact sweep_id, then the one run or sweep
 * whose id starts with `id`. Throws {@link ReportTargetError} when nothing
 * matches and {@link AmbiguousReportTargetError} when a prefix matches several.
 */
export async function resolveReportTarget(db: ResultsDb, id: string): Promise<ReportTarget> {
  if (id.trim() === '') throw new ReportTargetError(id, displayPath(db.path));
  const exactRun = await db.query('SELECT run_id FROM runs WHERE run_id = $id', { id });
  if (exactRun.length) return { kind: 'run', id, runIds: [id] };
  const sweepRuns = async (sweepId: string) =>
    (await db.query('SELECT run_id FROM runs WHERE sweep_id = $s ORDER BY run_id', { s: sweepId })).map((r) => r.run_id as string);
  const exactSweep = await sweepRuns(id);
  if (exactSweep.length) return { kind: 'sweep', id, runIds: exactSweep };

  // starts_with, not LIKE: ids may hold _ or %.
  const matches = await db.query(
    `SELECT DISTINCT 'run' AS kind, run_id AS id FROM runs WHERE starts_with(run_id, $id)
     UNION ALL
     SELECT DISTINCT 'sweep' AS kind, sweep_id AS id FROM runs WHERE sweep_id IS NOT NULL AND starts_with(sweep_id, $id)
     ORDER BY id`,
    { id },
  );
  if (matches.length === 0) throw new ReportTargetError(id, displayPath(db.path));
  if (matches.length > 1)
    throw new AmbiguousReportTargetError(
      id,
      matches.map((m) => m.id as string),
    );
  const match = matches[0]!;
  return match.kind === 'run'
    ? { kind: 'run', id: match.id as string, runIds: [match.id as string] }
    : { kind: 'sweep', id: match.id as string, runIds: await sweepRuns(match.id as string) };
}
