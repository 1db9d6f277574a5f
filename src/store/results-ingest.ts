/**
 * Ingestion into the results database: the row shapes, Arrow artifact tables checked
 * column by column and appended through DuckDB's appender, the rate fit of `sql/rates.sql`,
 * and the queue that runs one process's writers of a file one at a time.
 *
 * ```ts
 * const rows = artifactRows(input);                         // checks every column first
 * await serialized(file, async () => {
 *   await connection.run('BEGIN TRANSACTION');
 *   await writeRun(connection, file, input.run, rows);
 *   await writeRates(connection, input.run.runId);
 *   await connection.run('COMMIT');
 * });
 * ```
 */

import {
  DuckDBDataChunk,
  DuckDBTimestampValue,
  LIST,
  listValue,
  UTINYINT,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DataType, Precision, Type, type Dictionary, type Table, type Utf8, type Vector } from 'apache-arrow';
import { canonicalJson } from './canonical-json.js';
import { displayPath, TableSchemaError } from './errors.js';
import { readRatesSql } from './sql-files.js';

/** One row of `runs`. */
export interface RunRow {
  runId: string;
  name: string;
  specHash: string;
  /** The validated spec; stored as canonical JSON. */
  spec: unknown;
  sweepId: string | null;
  /** `completed` or `failed`. */
  status: string;
  /** The engine and backend that ran; null for a run that failed before training. */
  engine: string | null;
  backend: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  codeVersion: string;
  /** The failure's one line; null (the default) for a completed run. */
  error?: string | null;
  /** How many later runs of the same spec found every step cached. Default 0. */
  reruns?: number;
  /** When the last of those finished. */
  lastRerunAt?: Date | null;
}

/** One row of `rates`, as `ResultsDb.fitRates` returns it. */
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
  /** The network's fitted line over the window is ln v(t) = fitIntercept − fittedRate·t; null where the fit was refused. */
  fitIntercept: number | null;
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

/** Every table keyed by run_id, `runs` first. */
export const RUN_TABLES = [
  'runs',
  'spectrum',
  'gram_eigenvalues',
  'ntk_check',
  'ntk_directions',
  'losses',
  'projections',
  'rates',
] as const;

export const RATE_COLUMNS =
  'run_id, split, kind, degree, fitted_rate, theory_rate, kernel_rate, init_kernel_rate, ratio, r2, stderr, fit_intercept, window_start, window_end, n_points, note';

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

/** A string column without nulls whose rows repeat a few words: each row's 1-based position in `words`. */
export interface WordCodes {
  words: string[];
  codes: Uint8Array;
}

/** One column's values: DuckDB values, a typed array without nulls, or word codes. */
export type ColumnValues = DuckDBValue[] | Int32Array | Float64Array | WordCodes;

/** Column values ready for the appender, without run_id. */
export interface ColumnsData {
  columns: ColumnValues[];
  rows: number;
}

/** The run row's values, in the column order of `runs` after run_id. */
export function runColumns(run: RunRow): ColumnsData {
  if (typeof run.runId !== 'string' || run.runId === '') throw new TypeError('ingestRun: run.runId must be a non-empty string');
  const values: DuckDBValue[] = [
    run.name,
    run.specHash,
    canonicalJson(run.spec),
    run.sweepId,
    run.status,
    run.engine,
    run.backend,
    timestamp(run.startedAt, 'startedAt'),
    run.finishedAt === null ? null : timestamp(run.finishedAt, 'finishedAt'),
    run.codeVersion,
    run.error ?? null,
    run.reruns ?? 0,
    run.lastRerunAt ? timestamp(run.lastRerunAt, 'lastRerunAt') : null,
  ];
  return { columns: values.map((v) => [v]), rows: 1 };
}

/** Reads and checks every artifact table of `input` (before the database is touched), keyed by SQL table. */
export function artifactColumns(input: IngestRunInput): [table: string, data: ColumnsData][] {
  const none: ColumnsData = { columns: [], rows: 0 };
  return [
    ['spectrum', readColumns('spectrum', input.spectrum, SPECTRUM_COLUMNS)],
    ['gram_eigenvalues', input.gram ? readColumns('gram', input.gram, GRAM_COLUMNS) : none],
    ['ntk_check', input.ntkCheck ? readColumns('ntkCheck', input.ntkCheck, NTK_CHECK_COLUMNS) : none],
    ['ntk_directions', input.ntkDirections ? readColumns('ntkDirections', input.ntkDirections, NTK_DIRECTION_COLUMNS) : none],
    ['losses', readColumns('losses', input.losses, LOSS_COLUMNS)],
    ['projections', readColumns('projections', input.projections, PROJECTION_COLUMNS)],
  ];
}

/** Inside the caller's transaction: deletes every row of the run, then appends `run` and `tables`. */
export async function writeRun(
  connection: DuckDBConnection,
  file: string,
  runId: string,
  run: ColumnsData,
  tables: [string, ColumnsData][],
): Promise<void> {
  for (const table of RUN_TABLES) await connection.run(`DELETE FROM ${table} WHERE run_id = $run_id`, { run_id: runId });
  await append(connection, file, 'runs', runId, run);
  for (const [table, data] of tables) {
    if (data.rows > 0) await append(connection, file, table, runId, data);
  }
}

/** Inside the caller's transaction: replaces the run's rates with those `sql/rates.sql` fits. */
export async function writeRates(connection: DuckDBConnection, runId: string): Promise<void> {
  const select = (await readRatesSql()).replace(/;\s*$/, '');
  await connection.run('DELETE FROM rates WHERE run_id = $run_id', { run_id: runId });
  // rates.sql reads the run from a session variable, so users can run the same file in the duckdb CLI.
  await connection.run('SET VARIABLE run_id = $run_id', { run_id: runId });
  try {
    await connection.run(`INSERT INTO rates (${RATE_COLUMNS})\nSELECT ${RATE_COLUMNS} FROM (\n${select}\n) AS fitted`);
  } finally {
    await connection.run('RESET VARIABLE run_id');
  }
}

const writeQueues = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier writer of `key` in this process has finished. */
export async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
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

/** The temp table the rows of a table with word columns pass through, without run_id and with codes for words. */
const STAGE = 'specbias_ingest_stage';

/**
 * Appends run_id plus `data`'s columns to `table` through the appender. Strings cross N-API one
 * at a time, which dominated ingestion: a table with word columns is appended with codes into
 * a temp table instead, and one INSERT adds run_id and turns the codes back into words.
 */
async function append(connection: DuckDBConnection, file: string, table: string, runId: string, data: ColumnsData): Promise<void> {
  const appender: DuckDBAppender = await connection.createAppender(table);
  const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
  if (types.length !== data.columns.length + 1) {
    appender.closeSync();
    throw new Error(
      `table ${table} in ${displayPath(file)} has ${types.length} columns, expected ${data.columns.length + 1}; ` +
        'it was created by another version of specbias: run specbias db rebuild',
    );
  }
  if (!data.columns.some(isWordCodes)) {
    const columns = [new Array<DuckDBValue>(data.rows).fill(runId), ...(data.columns as ArrayLike<DuckDBValue>[])];
    appendChunks(appender, types, columns, data.rows);
    return;
  }
  appender.closeSync(); // only its types were needed
  const stageTypes = data.columns.map((c, i) => (isWordCodes(c) ? UTINYINT : types[i + 1]!));
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGE} (${stageTypes.map((t, i) => `c${i} ${t.toString()}`).join(', ')})`);
  const columns = data.columns.map((c) => (isWordCodes(c) ? c.codes : c));
  appendChunks(await connection.createAppender(STAGE, 'main', 'temp'), stageTypes, columns, data.rows);
  const values: Record<string, DuckDBValue> = { run_id: runId };
  const valueTypes: Record<string, DuckDBType> = { run_id: VARCHAR };
  const select = data.columns.map((c, i) => {
    if (!isWordCodes(c)) return `c${i}`;
    values[`words${i}`] = listValue(c.words);
    valueTypes[`words${i}`] = LIST(VARCHAR);
    return `list_extract($words${i}, c${i})`;
  });
  // One thread and DuckDB's insertion order: the rows keep the order they were appended in.
  await connection.run(`INSERT INTO ${table} SELECT $run_id, ${select.join(', ')} FROM temp.main.${STAGE}`, values, valueTypes);
  await connection.run(`DROP TABLE temp.main.${STAGE}`);
}

function isWordCodes(column: ColumnValues): column is WordCodes {
  return 'codes' in column;
}

/** Appends `columns` (every column of the appender's table) a data chunk at a time, then closes the appender. */
function appendChunks(appender: DuckDBAppender, types: DuckDBType[], columns: ArrayLike<DuckDBValue>[], rows: number): void {
  try {
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const end = Math.min(rows, start + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(types, end - start);
      columns.forEach((values, c) => {
        // Written into the vector directly: no per-chunk copy of the column, and typed arrays pass as they are.
        const vector = chunk.getColumnVector(c);
        for (let row = start; row < end; row++) vector.setItem(row - start, values[row] as DuckDBValue);
        vector.flush();
      });
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

function timestamp(date: Date, field: string): DuckDBTimestampValue {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`ingestRun: run.${field} must be a valid Date, got ${String(date)}`);
  return new DuckDBTimestampValue(BigInt(ms) * 1000n);
}

/** Reads the named columns of an artifact table as DuckDB values, checking names and types. */
function readColumns(tableName: string, table: Table, spec: ArtifactColumns): ColumnsData {
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
        // Int32 without nulls needs no check: its values pass as a typed array (Arrow's iterator is slow).
        if (type.typeId === Type.Int32 && vector.nullCount === 0) return vector.toArray() as Int32Array;
        return Array.from(vector as Iterable<number | bigint | null>, (v, row) => int32(v, tableName, name, row));
      case 'float64':
        // Any float or integer widens to DOUBLE without loss of meaning.
        if (!DataType.isFloat(type) && !DataType.isInt(type)) fail();
        if (type.typeId === Type.Float && vector.nullCount === 0 && vector.type.precision === Precision.DOUBLE)
          return vector.toArray() as Float64Array;
        return Array.from(vector as Iterable<number | bigint | null>, (v) => (v === null ? null : Number(v)));
      case 'bool':
        if (!DataType.isBool(type)) fail();
        return Array.from(vector as Iterable<boolean | null>);
      case 'utf8': {
        const values = DataType.isDictionary(type) ? type.dictionary : type;
        if (!DataType.isUtf8(values) && !DataType.isLargeUtf8(values)) fail();
        if (vector.nullCount === 0) {
          const coded = DataType.isDictionary(type)
            ? dictionaryCodes(vector as Vector<Dictionary>)
            : type.typeId === Type.Utf8
              ? utf8Codes(vector as Vector<Utf8>)
              : null;
          if (coded) return coded;
        }
        return Array.from(vector as Iterable<string | null>);
      }
    }
  });
  return { columns, rows: table.numRows };
}

/** The most distinct words a string column is coded with (codes are UTINYINT); one with more is decoded row by row. */
const MAX_WORDS = 64;

/** A dictionary-encoded string column without nulls as word codes: each batch's dictionary is decoded once. */
function dictionaryCodes(vector: Vector<Dictionary>): WordCodes | null {
  const words: string[] = [];
  const codes = new Uint8Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const local = Array.from(data.dictionary! as Iterable<string>, (word) => {
      const at = words.indexOf(word);
      return at >= 0 ? at + 1 : words.push(word);
    });
    if (words.length > MAX_WORDS) return null;
    const indices = data.values;
    for (let i = 0; i < data.length; i++) codes[row++] = local[Number(indices[i])]!; // values start at the slice's offset
  }
  return { words, codes };
}

/**
 * A Utf8 column without nulls whose rows repeat a few words (split, kind, source) as word codes:
 * each distinct byte string is decoded once (Arrow's per-row decoding dominated ingestion).
 */
function utf8Codes(vector: Vector<Utf8>): WordCodes | null {
  const words: string[] = [];
  const wordBytes: Uint8Array[] = [];
  const codes = new Uint8Array(vector.length);
  const decoder = new TextDecoder();
  let row = 0;
  let last = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets;
    const bytes = data.values;
    for (let i = 0; i < data.length; i++) {
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      // A row often repeats the previous row's word: try it first.
      let code = last > 0 && sameBytes(wordBytes[last - 1]!, bytes, start, end) ? last : 0;
      for (let w = 0; code === 0 && w < wordBytes.length; w++) if (sameBytes(wordBytes[w]!, bytes, start, end)) code = w + 1;
      if (code === 0) {
        if (words.length === MAX_WORDS) return null;
        wordBytes.push(bytes.slice(start, end));
        code = words.push(decoder.decode(bytes.subarray(start, end)));
      }
      codes[row++] = last = code;
    }
  }
  return { words, codes };
}

function sameBytes(word: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (word.length !== end - start) return false;
  for (let k = 0; k < word.length; k++) if (word[k] !== bytes[start + k]) return false;
  return true;
}

function int32(value: number | bigint | null, table: string, column: string, row: number): number | null {
  if (value === null) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new TableSchemaError(table, column, 'int32', `${String(value)} at row ${row}, outside the int32 range`);
  }
  return n;
}

export function toRateRow(row: Record<string, unknown>): RateRow {
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
    fitIntercept: row.fit_intercept as number | null,
    windowStart: row.window_start as number | null,
    windowEnd: row.window_end as number | null,
    nPoints: row.n_points as number | null,
    note: row.note as string | null,
  };
}
