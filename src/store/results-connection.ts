/**
 * Connections to the results database: one DuckDB instance per file per process, opened
 * with retry while another process holds DuckDB's lock, sandboxed (no file access beyond
 * the database), and checked against `sql/schema.sql`.
 *
 * ```ts
 * const { instance, shared } = await acquireInstance('/abs/data/results.duckdb', false, 30_000);
 * const connection = await instance.connect();
 * // ...
 * connection.closeSync();
 * releaseInstance('/abs/data/results.duckdb', shared);
 * ```
 */

import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { accessError, displayPath, ResultsCorruptError, ResultsLockedError } from './errors.js';
import { readSchemaSql, readViewsSql } from './sql-files.js';

/** Query parameters: positional (`?`, `$1`) or named (`$run_id`). */
export type QueryParams = DuckDBValue[] | Record<string, DuckDBValue>;

/**
 * One DuckDB instance per file per process. Two instances of one file in a
 * process would both write it, and DuckDB's lock is a POSIX fcntl lock, which
 * the process drops as soon as it closes *any* descriptor of the file: closing
 * a second instance would silently unlock the first one's file for other
 * processes.
 */
export interface SharedInstance {
  ready: Promise<DuckDBInstance>;
  /** Set once `ready` resolves, so the last handle can close it synchronously. */
  instance?: DuckDBInstance;
  readOnly: boolean;
  refs: number;
}

const sharedInstances = new Map<string, SharedInstance>();

/**
 * SQL reaches the database and nothing else: no COPY TO, read_csv, read_text, ATTACH, INSTALL
 * or LOAD of files, set before any statement runs, and locked so no statement can undo it.
 * The writer also runs on one thread: a parallel aggregate sums in a schedule-dependent order,
 * and the rates (regr_slope) fitted to identical projections must be bit-identical run after run.
 */
const SANDBOX = { enable_external_access: 'false', lock_configuration: 'true' } as const;

/**
 * Opens (or joins) this process's instance of `absolute`. While another process holds the
 * file, retries with backoff for up to `timeoutMs`, then throws {@link ResultsLockedError}.
 * A read-only open may join a read-write instance; a read-write open waits for this process's
 * read-only instance to close. Throws {@link ResultsCorruptError} for a file DuckDB cannot
 * read or whose tables differ from `sql/schema.sql`. Pair with {@link releaseInstance}.
 */
export async function acquireInstance(
  absolute: string,
  readOnly: boolean,
  timeoutMs: number,
): Promise<{ instance: DuckDBInstance; shared: SharedInstance }> {
  if (!readOnly) {
    const dir = path.dirname(absolute);
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw accessError(err, dir, 'create the results database in it') ?? err;
    });
  }
  const started = Date.now();
  let delayMs = 20;
  let holder: string | undefined;
  for (;;) {
    const existing = sharedInstances.get(absolute);
    if (existing === undefined || !existing.readOnly || readOnly) {
      const entry = existing ?? createShared(absolute, readOnly);
      entry.refs += 1;
      try {
        const instance = await entry.ready;
        entry.instance = instance;
        return { instance, shared: entry };
      } catch (err) {
        entry.refs -= 1;
        const lock = lockHolder(err);
        if (lock === null) throw err;
        holder = lock;
      }
    }
    // Locked: by another process, or by this process's read-only instance while we want to write.
    if (existing?.readOnly && !readOnly) holder = 'a read-only handle in this process';
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new ResultsLockedError(displayPath(absolute), waited, holder);
    await sleep(Math.min(delayMs * (0.75 + Math.random() / 2), timeoutMs - waited));
    delayMs = Math.min(delayMs * 2, 1000);
  }
}

/** Drops one reference; the last one closes the instance, synchronously. */
export function releaseInstance(absolute: string, entry: SharedInstance): void {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  if (sharedInstances.get(absolute) === entry) sharedInstances.delete(absolute);
  // Synchronously: an instance closed later could drop the lock of one opened meanwhile (see SharedInstance).
  entry.instance?.closeSync();
  entry.instance = undefined;
}

function createShared(absolute: string, readOnly: boolean): SharedInstance {
  const entry: SharedInstance = { ready: openInstance(absolute, readOnly), readOnly, refs: 0 };
  sharedInstances.set(absolute, entry);
  // A failed open leaves nothing behind; the next attempt creates a fresh entry.
  entry.ready.catch(() => {
    if (sharedInstances.get(absolute) === entry) sharedInstances.delete(absolute);
  });
  return entry;
}

async function openInstance(absolute: string, readOnly: boolean): Promise<DuckDBInstance> {
  // A file created by this open has no tables yet, so none can differ from the schema's.
  const fresh = !existsSync(absolute);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(absolute, readOnly ? { access_mode: 'READ_ONLY', ...SANDBOX } : { threads: '1', ...SANDBOX });
  } catch (err) {
    throw classify(err, absolute);
  }
  try {
    const connection = await instance.connect();
    try {
      if (!fresh) await checkSchema(connection, absolute);
      if (!readOnly) {
        await connection.run(await readSchemaSql());
        // The views are replaced on every read-write open, so they always match the code that writes.
        await connection.run(await readViewsSql());
      }
    } finally {
      connection.closeSync();
    }
    return instance;
  } catch (err) {
    instance.closeSync();
    throw classify(err, absolute);
  }
}

// ---------------------------------------------------------------- The schema check

type Columns = Map<string, string>; // table -> "name type, name type, ..."

let expectedColumns: Promise<Columns> | undefined;

/** The columns `sql/schema.sql` creates, read from a scratch in-memory database. */
function schemaColumns(): Promise<Columns> {
  expectedColumns ??= (async () => {
    const scratch = await DuckDBInstance.create(':memory:', { ...SANDBOX });
    try {
      const connection = await scratch.connect();
      try {
        await connection.run(await readSchemaSql());
        return await tableColumns(connection);
      } finally {
        connection.closeSync();
      }
    } finally {
      scratch.closeSync();
    }
  })();
  return expectedColumns;
}

async function tableColumns(connection: DuckDBConnection): Promise<Columns> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS columns
       FROM information_schema.columns WHERE table_schema = 'main' AND table_catalog = current_database()
         AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')
       GROUP BY table_name`,
  );
  return new Map(reader.getRowObjectsJS().map((r) => [String(r.table_name), String(r.columns)]));
}

/** A table of the file that `sql/schema.sql` declares with other columns makes the file incompatible; a missing one is created. */
async function checkSchema(connection: DuckDBConnection, absolute: string): Promise<void> {
  const expected = await schemaColumns();
  const actual = await tableColumns(connection);
  for (const [table, columns] of expected) {
    const found = actual.get(table);
    if (found !== undefined && found !== columns) {
      throw new ResultsCorruptError(
        displayPath(absolute),
        `table ${table} has columns (${found}), this specbias expects (${columns})`,
        'incompatible',
      );
    }
  }
}

// ---------------------------------------------------------------- Errors and moving aside

// DuckDB's words for a file it cannot read: not a database, cut short, bad checksum, another storage version.
const CORRUPT =
  /not a valid DuckDB database file|Could not read enough bytes|checksum|Corrupt|database file with version number|Serialization Error|INTERNAL Error|Catalog write-ahead log|Failure while replaying WAL/i;

/** DuckDB's open errors in our terms: corrupt file, no permission, or as they are. */
function classify(err: unknown, absolute: string): unknown {
  if (err instanceof ResultsCorruptError || lockHolder(err) !== null) return err;
  const access = accessError(err, absolute, 'open the results database');
  if (access) return access;
  const message = err instanceof Error ? err.message : String(err);
  return CORRUPT.test(message) ? new ResultsCorruptError(displayPath(absolute), message.split('\n')[0]!, 'corrupt') : err;
}

/**
 * Renames `absolute` (and its `.wal`, which must never meet another file) to
 * `<absolute>.<label>-<UTC time>`, numbered when that exists. Returns the new path, or null
 * when there was nothing to move.
 */
export async function moveAside(absolute: string, label: string): Promise<string | null> {
  if (!existsSync(absolute)) return null;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let target = `${absolute}.${label}-${stamp}`;
  for (let i = 1; existsSync(target) || existsSync(`${target}.wal`); i += 1) target = `${absolute}.${label}-${stamp}-${i}`;
  const wal = existsSync(`${absolute}.wal`);
  try {
    if (wal) await rename(`${absolute}.wal`, `${target}.wal`);
    await rename(absolute, target).catch(async (err: unknown) => {
      if (wal) await rename(`${target}.wal`, `${absolute}.wal`).catch(() => undefined); // keep the pair together
      throw err;
    });
  } catch (err) {
    throw accessError(err, path.dirname(absolute), 'move the results database aside') ?? err;
  }
  return target;
}

// ---------------------------------------------------------------- The read-only guard

const READ_STATEMENTS = new Set<StatementType>([
  StatementType.SELECT,
  StatementType.EXPLAIN,
  StatementType.VARIABLE_SET,
  StatementType.SET,
]);

/**
 * Runs `sql` statement by statement and returns the last statement's result (runAndReadAll
 * alone reads the first's). With `readOnlyFile` set (a read-only handle on a read-write
 * instance), anything but SELECT, EXPLAIN and SET is refused, naming that file.
 */
export async function runStatements(
  connection: DuckDBConnection,
  sql: string,
  params?: QueryParams,
  readOnlyFile?: string,
): Promise<DuckDBResultReader> {
  const extracted = await connection.extractStatements(sql);
  if (extracted.count <= 1 && readOnlyFile === undefined) return connection.runAndReadAll(sql, params);
  for (let i = 0; ; i += 1) {
    const prepared = await extracted.prepare(i);
    try {
      if (readOnlyFile !== undefined && !READ_STATEMENTS.has(prepared.statementType)) {
        throw new Error(
          `results database ${displayPath(readOnlyFile)} is open read-only; statement ${i + 1} (${StatementType[prepared.statementType]}) would write`,
        );
      }
      if (i === extracted.count - 1) {
        if (params) prepared.bind(params);
        return await prepared.runAndReadAll();
      }
      await prepared.run();
    } finally {
      prepared.destroySync();
    }
  }
}

/** Who holds the lock, from DuckDB's error ("Could not set lock on file ... Conflicting lock is held in X (PID n)"); null for other errors. */
function lockHolder(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  if (!/could not set lock on file/i.test(message)) return null;
  const held = /Conflicting lock is held in (.+?) \(PID (\d+)\)/.exec(message);
  return held ? `another process (${held[1]}, PID ${held[2]})` : 'another process';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
