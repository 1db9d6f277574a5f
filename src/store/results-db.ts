/**
 * The DuckDB results database, `<data root>/results.duckdb`: one row per run, its spectrum,
 * Gram eigenvalues, losses and projections, and the per-degree rates fitted by
 * `sql/rates.sql`. The tables are those of `sql/schema.sql`, the views those of
 * `sql/views.sql`; docs/results.md documents the whole schema.
 *
 * DuckDB allows one writing process per file, so nothing holds the database
 * open between operations: open, ingest, close.
 *
 * ```ts
 * await withResultsDb('data/results.duckdb', {}, async (db) => {
 *   await db.ingestRun({ run, spectrum, gram, losses, projections }); // Arrow tables read from artifacts
 *   const rates = await db.fitRates(run.runId);
 * });
 * const rows = await withResultsDb('data/results.duckdb', { readOnly: true }, (db) =>
 *   db.query('SELECT degree, fitted_rate, theory_rate FROM rates WHERE run_id = $run_id', { run_id: 'r1' }),
 * );
 * ```
 *
 * The file is derived data. One DuckDB cannot read, or whose tables are not those of
 * schema.sql, is moved aside and rebuilt from the run manifests on open (see
 * results-rebuild.ts). Within one process, every handle on the same file shares one DuckDB
 * instance (see {@link ResultsDb.open}), and writers are serialized.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  DuckDBTimestampValue,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import type { StoreLogger } from './artifact-store.js';
import { displayPath, ResultsCorruptError, ResultsMissingError } from './errors.js';
import { acquireInstance, releaseInstance, runStatements, type QueryParams, type SharedInstance } from './results-connection.js';
import {
  artifactColumns,
  RATE_COLUMNS,
  runColumns,
  serialized,
  toRateRow,
  writeRates,
  writeRun,
  type IngestRunInput,
  type RateRow,
  type RunRow,
} from './results-ingest.js';
import { healResultsDb, rebuildFile, type RebuildSummary } from './results-rebuild.js';

export type { IngestRunInput, RateRow, RunRow } from './results-ingest.js';
export type { QueryParams } from './results-connection.js';
export { describeRebuild, type RebuildSummary } from './results-rebuild.js';
export {
  readRatesSql,
  ratesSqlPath,
  readViewsSql,
  viewsSqlPath,
  readSchemaSql,
  schemaSqlPath,
  viewDefinitions,
  type ViewDefinition,
} from './sql-files.js';

export interface ResultsDbOptions {
  /** Open without the write lock, as `specbias sql` does. The file must exist. */
  readOnly?: boolean;
  /** How long to keep retrying while another process holds the lock. Default 30 000 ms. */
  lockTimeoutMs?: number;
  /** Rebuild a corrupt or incompatible file from the run manifests (default); false throws {@link ResultsCorruptError}. */
  heal?: boolean;
  /** Receives the one line that says the file was rebuilt. Default: `console`. */
  logger?: StoreLogger;
}

export class ResultsDb {
  private closed = false;
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    /** Absolute path of the database file. */
    readonly path: string,
    readonly readOnly: boolean,
    private readonly connection: DuckDBConnection,
    private readonly shared: SharedInstance,
    /** A read-only handle that shares this process's read-write instance checks each statement itself. */
    private readonly guardWrites: boolean,
  ) {}

  /**
   * Opens the database, creating it and its tables unless `readOnly`.
   *
   * While another process holds the file (DuckDB's "Could not set lock on
   * file" error), retries with backoff for up to `lockTimeoutMs`, then throws
   * {@link ResultsLockedError}. Inside this process, handles share one
   * instance: a read-only handle may ride on a read-write instance (and then
   * refuses statements other than SELECT, EXPLAIN and SET), while a read-write
   * open waits for this process's read-only handles to close. A file DuckDB
   * cannot read, or whose tables differ from `sql/schema.sql`, is moved aside
   * and rebuilt from the run manifests beside it, with one line to `logger`.
   * Every handle's SQL reaches the database only: file access is disabled.
   * Pair with {@link closeSync}, or use {@link withResultsDb}.
   */
  static async open(file: string, options: ResultsDbOptions = {}): Promise<ResultsDb> {
    const absolute = path.resolve(file);
    const readOnly = options.readOnly ?? false;
    if (readOnly && !existsSync(absolute)) throw new ResultsMissingError(displayPath(absolute));
    try {
      return await ResultsDb.connect(absolute, options);
    } catch (err) {
      if (!(err instanceof ResultsCorruptError) || options.heal === false) throw err;
      await healResultsDb(absolute, err, (f, o) => ResultsDb.open(f, o), options.logger ?? console);
      return ResultsDb.connect(absolute, options);
    }
  }

  private static async connect(absolute: string, options: ResultsDbOptions): Promise<ResultsDb> {
    const readOnly = options.readOnly ?? false;
    const { instance, shared } = await acquireInstance(absolute, readOnly, options.lockTimeoutMs ?? 30_000);
    let connection: DuckDBConnection;
    try {
      connection = await instance.connect();
    } catch (err) {
      releaseInstance(absolute, shared);
      throw err;
    }
    return new ResultsDb(absolute, readOnly, connection, shared, readOnly && !shared.readOnly);
  }

  /**
   * Replaces everything stored for `input.run.runId` in one transaction:
   * deletes its rows from every table (rates included, as they derive from the
   * projections), then appends the run row and the artifact tables with
   * run_id added. Running it twice leaves the same rows. Refit with {@link fitRates}.
   */
  async ingestRun(input: IngestRunInput): Promise<void> {
    this.assertWritable('ingestRun');
    // Read and check every table before touching the database.
    const run = runColumns(input.run);
    const tables = artifactColumns(input);
    await this.writing(() => writeRun(this.connection, this.path, input.run.runId, run, tables));
  }

  /**
   * Records a run that failed (`run.status` 'failed', `run.error` its one line), unless the
   * run is already recorded as completed: its results stay. Returns whether it was recorded.
   */
  async recordFailedRun(run: RunRow): Promise<boolean> {
    this.assertWritable('recordFailedRun');
    const row = runColumns(run);
    let recorded = false;
    await this.writing(async () => {
      const completed = await this.connection.runAndReadAll("SELECT 1 FROM runs WHERE run_id = $run_id AND status = 'completed'", {
        run_id: run.runId,
      });
      if (completed.currentRowCount > 0) return;
      await writeRun(this.connection, this.path, run.runId, row, []);
      recorded = true;
    });
    return recorded;
  }

  /**
   * Updates the rerun count and time of a completed run (`runs.reruns`, `runs.last_rerun_at`),
   * as its manifest now records them; every other row stays. Returns whether the run was there.
   */
  async recordRerun(runId: string, reruns: number, lastRerunAt: Date): Promise<boolean> {
    this.assertWritable('recordRerun');
    let updated = false;
    await this.writing(async () => {
      const result = await this.connection.run(
        "UPDATE runs SET reruns = $reruns, last_rerun_at = $at WHERE run_id = $run_id AND status = 'completed'",
        { reruns, at: new DuckDBTimestampValue(BigInt(lastRerunAt.getTime()) * 1000n), run_id: runId },
      );
      updated = result.rowsChanged > 0;
    });
    return updated;
  }

  /**
   * Fits the rates of one run with `sql/rates.sql` (see its header for the
   * rule) and stores them in `rates`, replacing earlier ones, in one
   * transaction. Returns them ordered by split, kind, degree.
   */
  async fitRates(runId: string): Promise<RateRow[]> {
    this.assertWritable('fitRates');
    await this.writing(() => writeRates(this.connection, runId));
    const rows = await this.exclusive(() =>
      this.read(`SELECT ${RATE_COLUMNS} FROM rates WHERE run_id = $run_id ORDER BY split, kind, degree`, { run_id: runId }),
    );
    return rows.map(toRateRow);
  }

  /**
   * Runs SQL (several statements are allowed; the last one's rows come back)
   * and returns plain row objects: BIGINT becomes a number when it is a safe
   * integer and a decimal string otherwise, DOUBLE keeps NaN, TIMESTAMP
   * becomes an ISO 8601 string, and JSON stays a string.
   */
  async query(sql: string, params?: QueryParams): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    return this.exclusive(() => this.read(sql, params));
  }

  /** Closes this handle; the shared instance closes with the last handle of the file. Idempotent. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.connection.closeSync();
    } finally {
      releaseInstance(this.path, this.shared);
    }
  }

  private async read(sql: string, params?: QueryParams): Promise<Record<string, unknown>[]> {
    try {
      const reader = await runStatements(this.connection, sql, params, this.guardWrites ? this.path : undefined);
      return reader.convertRowObjects(plainValue);
    } catch (err) {
      const refused =
        /^Permission Error: (Cannot access (?:file|directory) .*?) - file system operations are disabled by configuration/.exec(
          (err as Error).message,
        );
      if (refused)
        throw new Error(`file access is disabled: SQL on the results database cannot read or write files (${refused[1]})`, { cause: err });
      throw err;
    }
  }

  /** One transaction, after this process's earlier writers of the same file. */
  private async writing(fn: () => Promise<void>): Promise<void> {
    await serialized(this.path, () =>
      this.exclusive(async () => {
        await this.connection.run('BEGIN TRANSACTION');
        try {
          await fn();
        } catch (err) {
          await this.connection.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
        await this.connection.run('COMMIT');
      }),
    );
  }

  /** Serializes use of this handle's connection: a transaction must not interleave with a query. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`results database ${displayPath(this.path)}: this handle is closed`);
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly)
      throw new Error(`results database ${displayPath(this.path)} is open read-only; ${operation} needs a read-write open`);
  }
}

/** Opens `file`, runs `fn` with the handle, and closes it whatever happens. */
export async function withResultsDb<T>(file: string, options: ResultsDbOptions, fn: (db: ResultsDb) => Promise<T>): Promise<T> {
  const db = await ResultsDb.open(file, options);
  try {
    return await fn(db);
  } finally {
    db.closeSync();
  }
}

/**
 * Rebuilds `file` from the run manifests and verified artifacts beside it, as
 * `specbias db rebuild` does: waits for other writers, moves the current file aside
 * (`<file>.replaced-<UTC time>`) and puts the rebuilt one in its place.
 */
export async function rebuildResultsDb(
  file: string,
  options: { logger?: StoreLogger; lockTimeoutMs?: number } = {},
): Promise<RebuildSummary> {
  const open = (f: string, o: ResultsDbOptions) => ResultsDb.open(f, { ...o, lockTimeoutMs: options.lockTimeoutMs });
  const summary = await rebuildFile(path.resolve(file), open, 'replaced', { logger: options.logger ?? console, holdLock: true });
  return summary!; // null only with unlessReplaced
}

/** Row values as plain JSON-friendly JS (see {@link ResultsDb.query}). */
const plainValue: DuckDBValueConverter<unknown> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM: {
      const n = Number(value as bigint);
      return Number.isSafeInteger(n) ? n : String(value);
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      try {
        return (JSDuckDBValueConverter(value, type, JSDuckDBValueConverter) as Date).toISOString();
      } catch {
        return String(value); // infinity, or beyond the range of a JS Date
      }
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.INTERVAL:
      return String(value);
  }
  return JSDuckDBValueConverter(value, type, converter as DuckDBValueConverter<JS>);
};
