/**
 * Reading your own data: the numeric columns of a Parquet, CSV or Arrow IPC (Feather) file as
 * float64, with every problem as a one-line {@link SpecError} that names the file and the column.
 *
 *   const facts = await dataFileFacts('digits.parquet');           // { size, sha256 }: provenance and the cache key
 *   const data = await readDataFile('digits.parquet', ['p0', 'p1'], 'label');
 *   data.x;   // row-major rows x 2, in file order; data.y the target column
 *
 * Parquet and CSV go through DuckDB (`read_parquet`, `read_csv` with its type sniffer). DuckDB's
 * `arrow` extension needs a download, so Arrow IPC files are read with apache-arrow instead.
 * Integer and floating-point columns are numeric; anything else (strings, dates, decimals of
 * Arrow files) is refused. A missing value (NULL, an empty CSV cell) or a NaN/infinity is refused
 * with its 1-based data row.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { SpecError } from '../spec/schema.js';

export type DataFileFormat = 'parquet' | 'csv' | 'arrow';

export interface DataFileFacts {
  size: number;
  sha256: string;
}

export interface DataFileRows {
  rows: number;
  /** Row-major rows x columns.length, in file order. */
  x: Float64Array;
  y: Float64Array;
}

const PATH_FIELD = 'data.distribution.path';
const COLUMNS_FIELD = 'data.distribution.columns';
const TARGET_FIELD = 'data.target.name';

/** The format from the file's extension. */
export function dataFileFormat(path: string): DataFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  throw new SpecError(PATH_FIELD, `${path}: unknown file type "${ext}"; expected .parquet, .csv, .arrow or .feather`);
}

/** The file's size and sha256 (streamed); a missing file is a SpecError naming it. */
export async function dataFileFacts(path: string): Promise<DataFileFacts> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SpecError(PATH_FIELD, `${path}: not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError(PATH_FIELD, `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(err)})`}`);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { size, sha256: hash.digest('hex') };
}

/** How many data rows the file has (cheap for Parquet; CSV and Arrow are scanned). */
export async function countDataFileRows(path: string): Promise<number> {
  const format = dataFileFormat(path);
  await dataFileFacts(path);
  if (format === 'arrow') return (await readArrow(path)).numRows;
  return withDuckDb(async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${source(path, format)}`);
    return Number(reader.getRowObjectsJS()[0]!.n);
  }, path);
}

/** The input columns and the target column as float64, checked: present, numeric, no missing or non-finite values. */
export async function readDataFile(path: string, columns: readonly string[], target: string): Promise<DataFileRows> {
  const format = dataFileFormat(path);
  await dataFileFacts(path);
  const wanted = [...columns, target];
  const values = format === 'arrow' ? await arrowColumns(path, wanted) : await duckColumns(path, format, wanted);
  const rows = values[0]?.length ?? 0;
  if (rows === 0) throw new SpecError(PATH_FIELD, `${path}: has no data rows`);
  const x = new Float64Array(rows * columns.length);
  const y = new Float64Array(rows);
  wanted.forEach((name, c) => {
    const col = values[c]!;
    const isTarget = c === columns.length;
    for (let i = 0; i < rows; i++) {
      const v = col[i];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        const what = v === null || v === undefined ? 'a missing value' : `${v}`;
        throw new SpecError(
          isTarget ? TARGET_FIELD : COLUMNS_FIELD,
          `${path}: column "${name}" has ${what} at data row ${i + 1}; clean the file first`,
        );
      }
      if (isTarget) y[i] = v;
      else x[i * columns.length + c] = v;
    }
  });
  return { rows, x, y };
}

// ---- DuckDB: Parquet and CSV ----------------------------------------------------------------

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$/;

function source(path: string, format: 'parquet' | 'csv'): string {
  const literal = `'${path.replaceAll("'", "''")}'`;
  return format === 'parquet' ? `read_parquet(${literal})` : `read_csv(${literal}, header = true)`;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function withDuckDb<T>(work: (c: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>, path: string): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', autoinstall_known_extensions: 'false' });
  try {
    const connection = await instance.connect();
    try {
      return await work(connection);
    } catch (err) {
      if (err instanceof SpecError) throw err;
      // DuckDB's own message can span lines; the first names the problem.
      const first = String((err as Error).message ?? err).split('\n')[0];
      throw new SpecError(PATH_FIELD, `${path}: cannot be read (${first})`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function duckColumns(path: string, format: 'parquet' | 'csv', wanted: readonly string[]): Promise<(number | null)[][]> {
  return withDuckDb(async (connection) => {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source(path, format)}`);
    const types = new Map(described.getRowObjectsJS().map((r) => [String(r.column_name), String(r.column_type)]));
    checkColumns(path, wanted, types, (name) => NUMERIC.test(types.get(name) ?? ''));
    const list = wanted.map((c) => `CAST(${quoteIdent(c)} AS DOUBLE)`).join(', ');
    const reader = await connection.runAndReadAll(`SELECT ${list} FROM ${source(path, format)}`);
    return reader.getColumnsJS().map((col) => col.map((v) => (v === null ? null : Number(v))));
  }, path);
}

function checkColumns(path: string, wanted: readonly string[], types: Map<string, string>, numeric: (name: string) => boolean): void {
  wanted.forEach((name, c) => {
    const field = c === wanted.length - 1 ? TARGET_FIELD : COLUMNS_FIELD;
    const type = types.get(name);
    if (type === undefined) {
      const known = [...types.keys()];
      const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ... (${known.length} in all)` : known.join(', ');
      throw new SpecError(field, `${path}: no column "${name}"; the file has ${shown}`);
    }
    if (!numeric(name)) throw new SpecError(field, `${path}: column "${name}" is not numeric (${type})`);
  });
}

// ---- apache-arrow: Arrow IPC (Feather v2) ---------------------------------------------------

async function readArrow(path: string): Promise<arrow.Table> {
  try {
    return arrow.tableFromIPC(await readFile(path));
  } catch (err) {
    throw new SpecError(PATH_FIELD, `${path}: cannot be read as Arrow IPC (${String((err as Error).message ?? err).split('\n')[0]})`);
  }
}

async function arrowColumns(path: string, wanted: readonly string[]): Promise<(number | null)[][]> {
  const table = await readArrow(path);
  const types = new Map(table.schema.fields.map((f) => [f.name, f.type]));
  checkColumns(path, wanted, new Map([...types].map(([k, t]) => [k, String(t)])), (name) => {
    const t = types.get(name);
    return t !== undefined && (arrow.DataType.isInt(t) || arrow.DataType.isFloat(t));
  });
  return wanted.map((name) => {
    const col = table.getChild(name)!;
    return Array.from({ length: table.numRows }, (_, i) => {
      const v = col.get(i) as number | bigint | null;
      return v === null ? null : Number(v);
    });
  });
}
