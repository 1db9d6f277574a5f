/**
 * The DuckDB results database, `<data root>/results.duckdb` (DESIGN §7): one
 * row per run, its spectrum, Gram eigenvalues, losses and projections, and the
 * per-degree rates fitted by `sql/rates.sql`. The views of `sql/views.sql`
 * (run_params, rate_summary, sweep_summary) are replaced on every read-write
 * open; docs/results.md documents the whole schema.
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
 * Within one process, every handle on the same file shares one DuckDB
 * instance (see {@link ResultsDb.open}), and writers are serialized.
 */

import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampValue,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  StatementType,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import { DataType, type Table } from 'apache-arrow';
import { canonicalJson } from './canonical-json.js';
import { displayPath, ResultsLockedError, ResultsMissingError, TableSchemaError } from './errors.js';

// ---------------------------------------------------------------- Types

/** One row of `runs`. */
export interface RunRow {
  runId: string;
  name: string;
  specHash: string;
  /** The validated spec; stored as canonical JSON. */
  spec: unknown;
  sweepId: string | null;
  status: string;
  engine: string;
  backend: string;
  startedAt: Date;
  finishedAt: Date | null;
  codeVersion: string;
}

/** One row of `rates`, as {@link ResultsDb.fitRates} returns it. */
export interface RateRow {
  runId: string;
  split: string;
  kind: string;
  degree: number;
  /** NaN when the fit was refused; `note` says why. */
  fittedRate: number;
  theoryRate: number | null;
  /** The infinite-width twin's rate. */
  kernelRate: number | null;
  /** The finite-width twin's rate (the network's empirical NTK at init). */
  initKernelRate: number | null;
  ratio: number | null;
  r2: number | null;
  /** The slope's standard error. */
  stderr: number | null;
  windowStart: number | null;
  windowEnd: number | null;
  nPoints: number | null;
  note: string | null;
}

/**
 * The artifacts of one run, as Arrow tables. They have no run_id column: they
 * are content-addressed and may be shared between runs, so ingestion adds it.
 *
 * - spectrum: degree int32, mu float64, multiplicity float64, numerical_zero bool, theory_rate float64
 * - gram: idx int32, eigenvalue float64, cluster int32 (nullable), purity float64 (optional)
 * - losses: split utf8, step int32, loss float64
 * - projections: split utf8, step int32, degree int32, kind utf8, source utf8, value float64
 * - ntkCheck: width int32, n_points int32, rel_error float64
 * - ntkDirections: degree int32, n_points int32, rel_diff float64 (v̂ᵀΘ̂₀v̂ / v̂ᵀKv̂ − 1 along each target part)
 */
export interface IngestRunInput {
  run: RunRow;
  spectrum: Table;
  gram: Table | null;
  ntkCheck?: Table | null;
  ntkDirections?: Table | null;
  losses: Table;
  projections: Table;
}

export interface ResultsDbOptions {
  /** Open without the write lock, as `specbias sql` does. The file must exist. */
  readOnly?: boolean;
  /** How long to keep retrying while another process holds the lock. Default 30 000 ms. */
  lockTimeoutMs?: number;
}

/** Query parameters: positional (`?`, `$1`) or named (`$run_id`). */
export type QueryParams = DuckDBValue[] | Record<string, DuckDBValue>;

// ---------------------------------------------------------------- Schema

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY, name VARCHAR, spec_hash VARCHAR, spec JSON, sweep_id VARCHAR, status VARCHAR,
  engine VARCHAR, backend VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, code_version VARCHAR);
CREATE TABLE IF NOT EXISTS spectrum (
  run_id VARCHAR, degree INTEGER, mu DOUBLE, multiplicity DOUBLE, numerical_zero BOOLEAN, theory_rate DOUBLE);
CREATE TABLE IF NOT EXISTS gram_eigenvalues (
  run_id VARCHAR, idx INTEGER, eigenvalue DOUBLE, cluster INTEGER);
ALTER TABLE gram_eigenvalues ADD COLUMN IF NOT EXISTS purity DOUBLE;
CREATE TABLE IF NOT EXISTS ntk_check (
  run_id VARCHAR, width INTEGER, n_points INTEGER, rel_error DOUBLE);
CREATE TABLE IF NOT EXISTS ntk_directions (
  run_id VARCHAR, degree INTEGER, n_points INTEGER, rel_diff DOUBLE);
CREATE TABLE IF NOT EXISTS losses (
  run_id VARCHAR, split VARCHAR, step INTEGER, loss DOUBLE);
CREATE TABLE IF NOT EXISTS projections (
  run_id VARCHAR, split VARCHAR, step INTEGER, degree INTEGER, kind VARCHAR, source VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS rates (
  run_id VARCHAR, split VARCHAR, kind VARCHAR, degree INTEGER, fitted_rate DOUBLE, theory_rate DOUBLE,
  kernel_rate DOUBLE, ratio DOUBLE, r2 DOUBLE, window_start INTEGER, window_end INTEGER, n_points INTEGER,
  note VARCHAR);
ALTER TABLE rates ADD COLUMN IF NOT EXISTS init_kernel_rate DOUBLE;
ALTER TABLE rates ADD COLUMN IF NOT EXISTS stderr DOUBLE;
`;

const RUN_TABLES = ['runs', 'spectrum', 'gram_eigenvalues', 'ntk_check', 'ntk_directions', 'losses', 'projections', 'rates'] as const;

const RATE_COLUMNS =
  'run_id, split, kind, degree, fitted_rate, theory_rate, kernel_rate, init_kernel_rate, ratio, r2, stderr, window_start, window_end, n_points, note';

type ColumnKind = 'int32' | 'float64' | 'bool' | 'utf8';
/** A third element `true` marks a column that older artifacts lack: it reads as NULL there. */
type ArtifactColumns = readonly (readonly [name: string, kind: ColumnKind, optional?: boolean])[];

// In the order of the SQL tables, after run_id.
const SPECTRUM_COLUMNS: ArtifactColumns = [
  ['degree', 'int32'],
  ['mu', 'float64'],
  ['multiplicity', 'float64'],
  ['numerical_zero', 'bool'],
  ['theory_rate', 'float64'],
];
const NTK_CHECK_COLUMNS: ArtifactColumns = [
  ['width', 'int32'],
  ['n_points', 'int32'],
  ['rel_error', 'float64'],
];
const NTK_DIRECTION_COLUMNS: ArtifactColumns = [
  ['degree', 'int32'],
  ['n_points', 'int32'],
  ['rel_diff', 'float64'],
];
const GRAM_COLUMNS: ArtifactColumns = [
  ['idx', 'int32'],
  ['eigenvalue', 'float64'],
  ['cluster', 'int32'],
  ['purity', 'float64', true],
];
const LOSS_COLUMNS: ArtifactColumns = [
  ['split', 'utf8'],
  ['step', 'int32'],
  ['loss', 'float64'],
];
const PROJECTION_COLUMNS: ArtifactColumns = [
  ['split', 'utf8'],
  ['step', 'int32'],
  ['degree', 'int32'],
  ['kind', 'utf8'],
  ['source', 'utf8'],
  ['value', 'float64'],
];

/** The most rows a DuckDB data chunk holds (its vector size). */
const CHUNK_ROWS = 2048;

// ---------------------------------------------------------------- Shared instances and the writer queue

/**
 * One DuckDB instance per file per process. Two instances of one file in a
 * process would both write it, and DuckDB's lock is a POSIX fcntl lock, which
 * the process drops as soon as it closes *any* descriptor of the file: closing
 * a second instance would silently unlock the first one's file for other
 * processes.
 */
interface SharedInstance {
  ready: Promise<DuckDBInstance>;
  /** Set once `ready` resolves, so the last handle can close it synchronously. */
  instance?: DuckDBInstance;
  readOnly: boolean;
  refs: number;
}

const sharedInstances = new Map<string, SharedInstance>();
const writeQueues = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier writer of `key` in this process has finished. */
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  writeQueues.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  }
}

const READ_STATEMENTS = new Set<StatementType>([
  StatementType.SELECT,
  StatementType.EXPLAIN,
  StatementType.VARIABLE_SET,
  StatementType.SET,
]);

// ---------------------------------------------------------------- ResultsDb

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
   * open waits for this process's read-only handles to close. Pair with
   * {@link closeSync}, or use {@link withResultsDb}.
   */
  static async open(file: string, options: ResultsDbOptions = {}): Promise<ResultsDb> {
    const absolute = path.resolve(file);
    const readOnly = options.readOnly ?? false;
    const timeoutMs = options.lockTimeoutMs ?? 30_000;
    if (readOnly && !existsSync(absolute)) throw new ResultsMissingError(displayPath(absolute));
    if (!readOnly) await mkdir(path.dirname(absolute), { recursive: true });

    const started = Date.now();
    let delayMs = 20;
    let holder: string | undefined;
    for (;;) {
      const existing = sharedInstances.get(absolute);
      if (existing === undefined || !existing.readOnly || readOnly) {
        const entry = existing ?? createShared(absolute, readOnly);
        entry.refs += 1;
        let instance: DuckDBInstance | undefined;
        try {
          instance = await entry.ready;
        } catch (err) {
          entry.refs -= 1;
          const lock = lockHolder(err);
          if (lock === null) throw err;
          holder = lock;
        }
        if (instance !== undefined) {
          entry.instance = instance;
          let connection: DuckDBConnection;
          try {
            connection = await instance.connect();
          } catch (err) {
            release(absolute, entry);
            throw err;
          }
          return new ResultsDb(absolute, readOnly, connection, entry, readOnly && !entry.readOnly);
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

  /**
   * Replaces everything stored for `input.run.runId` in one transaction:
   * deletes its rows from every table (rates included, as they derive from the
   * projections), then appends the run row and the artifact tables with
   * run_id added. Running it twice leaves the same rows. Refit with {@link fitRates}.
   */
  async ingestRun(input: IngestRunInput): Promise<void> {
    this.assertWritable('ingestRun');
    const { run } = input;
    if (typeof run.runId !== 'string' || run.runId === '') throw new TypeError('ingestRun: run.runId must be a non-empty string');
    // Read and check every table before touching the database.
    const runColumns: DuckDBValue[][] = [
      [run.name],
      [run.specHash],
      [canonicalJson(run.spec)],
      [run.sweepId],
      [run.status],
      [run.engine],
      [run.backend],
      [timestamp(run.startedAt, 'startedAt')],
      [run.finishedAt === null ? null : timestamp(run.finishedAt, 'finishedAt')],
      [run.codeVersion],
    ];
    const tables: [string, ArtifactColumnsData][] = [
      ['spectrum', readColumns('spectrum', input.spectrum, SPECTRUM_COLUMNS)],
      ['gram_eigenvalues', input.gram ? readColumns('gram', input.gram, GRAM_COLUMNS) : { columns: [], rows: 0 }],
      ['ntk_check', input.ntkCheck ? readColumns('ntkCheck', input.ntkCheck, NTK_CHECK_COLUMNS) : { columns: [], rows: 0 }],
      ['ntk_directions', input.ntkDirections ? readColumns('ntkDirections', input.ntkDirections, NTK_DIRECTION_COLUMNS) : { columns: [], rows: 0 }],
      ['losses', readColumns('losses', input.losses, LOSS_COLUMNS)],
      ['projections', readColumns('projections', input.projections, PROJECTION_COLUMNS)],
    ];

    await this.writing(async () => {
      for (const table of RUN_TABLES) {
        await this.connection.run(`DELETE FROM ${table} WHERE run_id = $run_id`, { run_id: run.runId });
      }
      await this.append('runs', run.runId, { columns: runColumns, rows: 1 });
      for (const [table, data] of tables) {
        if (data.rows > 0) await this.append(table, run.runId, data);
      }
    });
  }

  /**
   * Fits the rates of one run with `sql/rates.sql` (see its header for the
   * rule) and stores them in `rates`, replacing earlier ones, in one
   * transaction. Returns them ordered by split, kind, degree.
   */
  async fitRates(runId: string): Promise<RateRow[]> {
    this.assertWritable('fitRates');
    const select = stripTrailingSemicolon(await readRatesSql());
    await this.writing(async () => {
      await this.connection.run('DELETE FROM rates WHERE run_id = $run_id', { run_id: runId });
      // rates.sql reads the run from a session variable, so users can run the same file in the duckdb CLI.
      await this.connection.run('SET VARIABLE run_id = $run_id', { run_id: runId });
      try {
        await this.connection.run(`INSERT INTO rates (${RATE_COLUMNS})\nSELECT ${RATE_COLUMNS} FROM (\n${select}\n) AS fitted`);
      } finally {
        await this.connection.run('RESET VARIABLE run_id');
      }
    });
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
      release(this.path, this.shared);
    }
  }

  private async read(sql: string, params?: QueryParams): Promise<Record<string, unknown>[]> {
    const reader = this.guardWrites ? await this.runReadOnly(sql, params) : await this.connection.runAndReadAll(sql, params);
    return reader.convertRowObjects(plainValue);
  }

  /** Runs statement by statement, refusing writes: this handle's instance is read-write. */
  private async runReadOnly(sql: string, params?: QueryParams) {
    const extracted = await this.connection.extractStatements(sql);
    for (let i = 0; ; i += 1) {
      const prepared = await extracted.prepare(i);
      try {
        if (!READ_STATEMENTS.has(prepared.statementType)) {
          throw new Error(
            `results database ${displayPath(this.path)} is open read-only; ` +
              `statement ${i + 1} (${StatementType[prepared.statementType]}) would write`,
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

  /** Appends run_id plus `data`'s columns to `table` through the appender, a data chunk at a time. */
  private async append(table: string, runId: string, data: ArtifactColumnsData): Promise<void> {
    const appender: DuckDBAppender = await this.connection.createAppender(table);
    try {
      const types: DuckDBType[] = [];
      for (let i = 0; i < appender.columnCount; i += 1) types.push(appender.columnType(i));
      if (types.length !== data.columns.length + 1) {
        throw new Error(
          `table ${table} in ${displayPath(this.path)} has ${types.length} columns, expected ${data.columns.length + 1}; ` +
            'it was created by another version of specbias: move the file away and re-ingest',
        );
      }
      for (let start = 0; start < data.rows; start += CHUNK_ROWS) {
        const end = Math.min(data.rows, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types);
        chunk.setColumns([new Array<DuckDBValue>(end - start).fill(runId), ...data.columns.map((c) => c.slice(start, end))]);
        appender.appendDataChunk(chunk);
      }
      appender.closeSync(); // flushes into the open transaction
    } catch (err) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // already closed or failed; the transaction rolls back either way
      }
      throw err;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`results database ${displayPath(this.path)}: this handle is closed`);
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly) throw new Error(`results database ${displayPath(this.path)} is open read-only; ${operation} needs a read-write open`);
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

// ---------------------------------------------------------------- rates.sql and views.sql

/**
 * Absolute path of `sql/<file>` in the package root: the first folder above
 * this module holding package.json and that file. Works from `src/store/`
 * and from the compiled `dist/src/store/`.
 */
function sqlFilePath(file: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'sql', file);
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`sql/${file} not found in any folder above ${here}; reinstall specbias`);
  }
}

/** Absolute path of `sql/rates.sql` (see {@link readRatesSql}). */
export function ratesSqlPath(): string {
  return sqlFilePath('rates.sql');
}

/** The text of `sql/rates.sql`: one SELECT reading the session variable run_id. */
export async function readRatesSql(): Promise<string> {
  return readFile(ratesSqlPath(), 'utf8');
}

/** Absolute path of `sql/views.sql` (see {@link readViewsSql}). */
export function viewsSqlPath(): string {
  return sqlFilePath('views.sql');
}

/** The text of `sql/views.sql`: `CREATE OR REPLACE VIEW` statements, run on every read-write open. */
export async function readViewsSql(): Promise<string> {
  return readFile(viewsSqlPath(), 'utf8');
}

/** One view of `sql/views.sql`: its name and the SELECT that defines it. */
export interface ViewDefinition {
  name: string;
  select: string;
}

/**
 * The views of `sql/views.sql`, in file order (a view only refers to those
 * before it). A reader of a database that lacks them, such as a read-only
 * handle on a file last written by an older specbias, can prefix its query
 * with `WITH name AS (select), ...` and get the same answers.
 */
export async function viewDefinitions(): Promise<ViewDefinition[]> {
  // The file's own rule: comments start with -- outside string literals (it has none inside), and
  // each statement ends with a semicolon.
  const text = (await readViewsSql()).replace(/--[^\n]*/g, '');
  const views: ViewDefinition[] = [];
  for (const statement of text.split(';')) {
    if (statement.trim() === '') continue;
    const match = /^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\w+)\s+AS\s+([\s\S]+)$/i.exec(statement);
    if (!match) throw new Error(`${viewsSqlPath()}: expected only CREATE OR REPLACE VIEW statements, got: ${statement.trim().slice(0, 60)}`);
    views.push({ name: match[1]!, select: match[2]!.trim() });
  }
  return views;
}

// ---------------------------------------------------------------- Helpers

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
  // The writer runs on one thread: a parallel aggregate sums in a schedule-dependent order, and
  // the rates (regr_slope) fitted to identical projections must be bit-identical run after run.
  const instance = await DuckDBInstance.create(absolute, readOnly ? { access_mode: 'READ_ONLY' } : { threads: '1' });
  if (readOnly) return instance;
  try {
    const connection = await instance.connect();
    try {
      await connection.run(SCHEMA);
      // The views are replaced on every read-write open, so they always match the code that writes.
      await connection.run(await readViewsSql());
    } finally {
      connection.closeSync();
    }
    return instance;
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

function release(absolute: string, entry: SharedInstance): void {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  if (sharedInstances.get(absolute) === entry) sharedInstances.delete(absolute);
  // Synchronously: an instance closed later could drop the lock of one opened meanwhile (see SharedInstance).
  entry.instance?.closeSync();
  entry.instance = undefined;
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

function timestamp(date: Date, field: string): DuckDBTimestampValue {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`ingestRun: run.${field} must be a valid Date, got ${String(date)}`);
  return new DuckDBTimestampValue(BigInt(ms) * 1000n);
}

function stripTrailingSemicolon(sql: string): string {
  return sql.replace(/;\s*$/, '');
}

interface ArtifactColumnsData {
  columns: DuckDBValue[][];
  rows: number;
}

/** Reads the named columns of an artifact table as DuckDB values, checking names and types. */
function readColumns(tableName: string, table: Table, spec: ArtifactColumns): ArtifactColumnsData {
  const columns = spec.map(([name, kind, optional]) => {
    const vector = table.getChild(name);
    if (vector === null && optional) return Array.from({ length: table.numRows }, () => null);
    if (vector === null) {
      const present = table.schema.fields.map((f) => f.name).join(', ');
      throw new TableSchemaError(tableName, name, kind, `no such column (columns: ${present || 'none'})`);
    }
    const type = vector.type as DataType;
    const fail = (): never => {
      throw new TableSchemaError(tableName, name, kind, String(type));
    };
    switch (kind) {
      case 'int32':
        if (!DataType.isInt(type)) fail();
        return Array.from(vector as Iterable<number | bigint | null>, (v, row) => int32(v, tableName, name, row));
      case 'float64':
        // Any float or integer widens to DOUBLE without loss of meaning.
        if (!DataType.isFloat(type) && !DataType.isInt(type)) fail();
        return Array.from(vector as Iterable<number | bigint | null>, (v) => (v === null ? null : Number(v)));
      case 'bool':
        if (!DataType.isBool(type)) fail();
        return Array.from(vector as Iterable<boolean | null>);
      case 'utf8': {
        const values = DataType.isDictionary(type) ? type.dictionary : type;
        if (!DataType.isUtf8(values) && !DataType.isLargeUtf8(values)) fail();
        return Array.from(vector as Iterable<string | null>);
      }
    }
  });
  return { columns, rows: table.numRows };
}

function int32(value: number | bigint | null, table: string, column: string, row: number): number | null {
  if (value === null) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new TableSchemaError(table, column, 'int32', `${String(value)} at row ${row}, outside the int32 range`);
  }
  return n;
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

function toRateRow(row: Record<string, unknown>): RateRow {
  return {
    runId: row.run_id as string,
    split: row.split as string,
    kind: row.kind as string,
    degree: row.degree as number,
    fittedRate: row.fitted_rate as number,
    theoryRate: row.theory_rate as number | null,
    kernelRate: row.kernel_rate as number | null,
    initKernelRate: row.init_kernel_rate as number | null,
    ratio: row.ratio as number | null,
    r2: row.r2 as number | null,
    stderr: row.stderr as number | null,
    windowStart: row.window_start as number | null,
    windowEnd: row.window_end as number | null,
    nPoints: row.n_points as number | null,
    note: row.note as string | null,
  };
}
