/**
 * Typed arrays <-> Arrow tables, so steps hand the artifact store real Arrow columns.
 *
 *   const t = tableFromColumns({ step: new Int32Array([0, 10]), loss: new Float64Array([1, 0.5]) });
 *   readFloat64(t, 'loss');   // Float64Array [1, 0.5]
 *
 * A `{ matrix, width }` column becomes FixedSizeList<Float64>[width] (one sphere point a row),
 * which pyarrow, polars and DuckDB all read.
 */
import * as arrow from 'apache-arrow';

export type ColumnInput =
  | arrow.Vector
  | Float64Array
  | Int32Array
  | string[]
  | boolean[]
  | { nullableInt32: (number | null)[] }
  | { matrix: Float64Array; width: number };

function toVector(name: string, col: ColumnInput): arrow.Vector {
  if (col instanceof arrow.Vector) return col;
  if (col instanceof Float64Array) return arrow.makeVector(col);
  if (col instanceof Int32Array) return arrow.makeVector(col);
  if (Array.isArray(col)) {
    if (col.length > 0 && typeof col[0] === 'boolean') return arrow.vectorFromArray(col as boolean[], new arrow.Bool());
    return arrow.vectorFromArray(col as string[], new arrow.Utf8());
  }
  if ('nullableInt32' in col) return arrow.vectorFromArray(col.nullableInt32, new arrow.Int32());
  const { matrix, width } = col;
  if (matrix.length % width !== 0) throw new Error(`column ${name}: ${matrix.length} values do not split into rows of ${width}`);
  const child = arrow.makeData({ type: new arrow.Float64(), length: matrix.length, data: matrix });
  const data = arrow.makeData({
    type: new arrow.FixedSizeList(width, new arrow.Field('item', new arrow.Float64(), false)),
    length: matrix.length / width,
    nullCount: 0,
    child,
  });
  return arrow.makeVector(data);
}

/**
 * A Utf8 column of `codes.length` rows, row i the word `words[codes[i]]`, built from its buffers
 * (each word encoded once): the same column as `vectorFromArray` of the strings gives, without
 * a string per row.
 */
export function wordsColumn(words: readonly string[], codes: ArrayLike<number>): arrow.Vector<arrow.Utf8> {
  const encoded = words.map((w) => new TextEncoder().encode(w));
  const rows = codes.length;
  const valueOffsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    const word = encoded[codes[i]!];
    if (!word) throw new RangeError(`wordsColumn: code ${codes[i]} at row ${i} names no word (${words.length} words)`);
    valueOffsets[i + 1] = valueOffsets[i]! + word.length;
  }
  const data = new Uint8Array(valueOffsets[rows]!);
  for (let i = 0; i < rows; i++) data.set(encoded[codes[i]!]!, valueOffsets[i]!);
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: rows, nullCount: 0, valueOffsets, data }));
}

/** Build a table from named columns of equal length, with optional schema metadata. */
export function tableFromColumns(columns: Record<string, ColumnInput>, metadata: Record<string, string> = {}): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  let rows = -1;
  for (const [name, col] of Object.entries(columns)) {
    const v = toVector(name, col);
    if (rows >= 0 && v.length !== rows) throw new Error(`column ${name} has ${v.length} rows, expected ${rows}`);
    rows = v.length;
    vectors[name] = v;
  }
  const table = new arrow.Table(vectors);
  const schema = new arrow.Schema(table.schema.fields, new Map(Object.entries(metadata)));
  return new arrow.Table(
    schema,
    table.batches.map((b) => new arrow.RecordBatch(schema, b.data)),
  );
}

function child(table: arrow.Table, name: string): arrow.Vector {
  const v = table.getChild(name);
  if (!v) throw new Error(`Arrow table has no column "${name}" (has ${table.schema.fields.map((f) => f.name).join(', ')})`);
  return v;
}

export function readFloat64(table: arrow.Table, name: string): Float64Array {
  // Arrow's own toArray: one typed array over all batches, slices' offsets handled (their values
  // may or may not start at the offset, by how the Data was made). A copy, never a view.
  const values = child(table, name).toArray() as ArrayLike<number | bigint>;
  return values instanceof Float64Array ? values.slice() : Float64Array.from(values as ArrayLike<number>, Number);
}

export function readInt32(table: arrow.Table, name: string): Int32Array {
  return Int32Array.from(readFloat64(table, name));
}

export function readStrings(table: arrow.Table, name: string): string[] {
  return Array.from(child(table, name).toArray() as Iterable<string>);
}

/** A FixedSizeList<Float64> column as one row-major Float64Array. */
export function readMatrix(table: arrow.Table, name: string): { matrix: Float64Array; width: number } {
  const v = child(table, name);
  const type = v.type as arrow.FixedSizeList;
  const width = type.listSize;
  const out = new Float64Array(v.length * width);
  let o = 0;
  for (const d of v.data) {
    const inner = d.children[0]!;
    const values = inner.values as Float64Array;
    // A list's offset counts rows; its child's offset counts values.
    const base = d.offset * width + inner.offset;
    out.set(values.subarray(base, base + d.length * width), o);
    o += d.length * width;
  }
  return { matrix: out, width };
}

export function readMetadata(table: arrow.Table, key: string): string {
  const v = table.schema.metadata.get(key);
  if (v === undefined) throw new Error(`Arrow table has no schema metadata "${key}"`);
  return v;
}
