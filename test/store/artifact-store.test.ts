import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  Bool,
  type Field,
  Float64,
  Int32,
  RecordBatch,
  RecordBatchReader,
  Schema,
  Table,
  Utf8,
  tableFromArrays,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ArtifactCorruptError, ArtifactMissingError, ArtifactPathError, ArtifactStore, writeJsonAtomic } from '../../src/store/index.js';
import { useTempDir } from './temp-dir.js';

const KEY = 'ab12cd34ef56';

function spectrumTable(): Table {
  const base = new Table({
    degree: vectorFromArray([0, 1, 2, 3], new Int32()),
    mu: vectorFromArray([0.5, 0.25, Number.NaN, 1e-300], new Float64()),
    numerical_zero: vectorFromArray([false, false, true, null], new Bool()),
    split: vectorFromArray(['train', 'test', null, 'train'], new Utf8()),
    cluster: vectorFromArray([1, null, 3, null], new Int32()),
  });
  const schema = new Schema(
    base.schema.fields,
    new Map([
      ['specbias.step', 'spectrum'],
      ['specbias.version', '1'],
    ]),
  );
  return new Table(
    schema,
    base.batches.map((batch) => new RecordBatch(schema, batch.data)),
  );
}

async function newStore(root: string, warnings: string[] = []): Promise<ArtifactStore> {
  return ArtifactStore.create(path.join(root, 'data'), { logger: { warn: (line) => warnings.push(line) } });
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(file, bytes);
}

describe('ArtifactStore', () => {
  const tmp = useTempDir();

  it('writeTable then readTable returns the same values, types and schema metadata', async () => {
    const store = await newStore(tmp());
    const table = spectrumTable();
    const ref = await store.writeTable('spectrum', KEY, 'spectrum.arrow', table);
    expect(ref).toEqual({ path: `artifacts/spectrum/${KEY}/spectrum.arrow`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), rows: 4 });

    const back = await store.readTable(ref);
    expect(back.schema.metadata).toEqual(
      new Map([
        ['specbias.step', 'spectrum'],
        ['specbias.version', '1'],
      ]),
    );
    expect(back.schema.fields.map((f: Field) => `${f.name}:${String(f.type)}`)).toEqual([
      'degree:Int32',
      'mu:Float64',
      'numerical_zero:Bool',
      'split:Utf8',
      'cluster:Int32',
    ]);
    expect([...back.getChild('degree')!]).toEqual([0, 1, 2, 3]);
    expect([...back.getChild('mu')!]).toEqual([0.5, 0.25, Number.NaN, 1e-300]);
    expect([...back.getChild('numerical_zero')!]).toEqual([false, false, true, null]);
    expect([...back.getChild('split')!]).toEqual(['train', 'test', null, 'train']);
    expect([...back.getChild('cluster')!]).toEqual([1, null, 3, null]);
  });

  it('writeTable writes the Arrow IPC file format and a sidecar with the checksum, row count and size', async () => {
    const store = await newStore(tmp());
    const table = tableFromArrays({ step: Int32Array.from([0, 10, 20]), loss: Float64Array.from([1, 0.5, 0.25]) });
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', table);
    const file = store.resolve(ref);
    expect(file).toBe(path.join(store.dirFor('train', KEY), 'trajectory.arrow'));

    const bytes = await readFile(file);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('ARROW1');
    expect(bytes.subarray(bytes.length - 6).toString('latin1')).toBe('ARROW1');
    expect(RecordBatchReader.from(bytes).isFile()).toBe(true);
    expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const meta = JSON.parse(await readFile(`${file}.meta.json`, 'utf8'));
    expect(meta).toEqual({ sha256: ref.sha256, rows: 3, bytes: bytes.length, createdAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(meta.createdAt))).toBe(false);
  });

  it('find returns null for a missing artifact and the written reference for a present one', async () => {
    const store = await newStore(tmp());
    expect(await store.find('train', KEY, 'trajectory.arrow')).toBeNull();
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', tableFromArrays({ x: Float64Array.from([1, 2]) }));
    expect(await store.find('train', KEY, 'trajectory.arrow')).toEqual(ref);
    expect(await store.find('train', KEY, 'other.arrow')).toBeNull();
  });

  it('a flipped byte makes readTable throw ArtifactCorruptError naming the path, and find warn once, delete it and return null', async () => {
    const warnings: string[] = [];
    const store = await newStore(tmp(), warnings);
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', tableFromArrays({ x: Float64Array.from([1, 2, 3]) }));
    const file = store.resolve(ref);
    await flipByte(file, 100);

    const error = await store.readTable(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactCorruptError);
    const corrupt = error as ArtifactCorruptError;
    expect(corrupt.path.endsWith(`artifacts/train/${KEY}/trajectory.arrow`)).toBe(true);
    expect(corrupt.expected).toBe(ref.sha256);
    expect(corrupt.actual).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    expect(corrupt.message).toBe(`artifact ${corrupt.path} is corrupt: sha256 expected ${ref.sha256}, got ${corrupt.actual}`);

    expect(await store.find('train', KEY, 'trajectory.arrow')).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`artifacts/train/${KEY}/trajectory.arrow is corrupt`);
    expect(await readdir(store.dirFor('train', KEY))).toEqual([]);
    expect(await store.find('train', KEY, 'trajectory.arrow')).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('readTable of a deleted artifact throws ArtifactMissingError', async () => {
    const store = await newStore(tmp());
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', tableFromArrays({ x: Float64Array.from([1]) }));
    await rm(store.resolve(ref));
    await expect(store.readTable(ref)).rejects.toBeInstanceOf(ArtifactMissingError);
    await expect(store.readTable(ref)).rejects.toThrow(/trajectory\.arrow is missing/);
  });

  it('a data file without its sidecar counts as an interrupted write: find returns null and leaves it', async () => {
    const warnings: string[] = [];
    const store = await newStore(tmp(), warnings);
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', tableFromArrays({ x: Float64Array.from([1]) }));
    await rm(`${store.resolve(ref)}.meta.json`);
    expect(await store.find('train', KEY, 'trajectory.arrow')).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('an unreadable sidecar makes find discard the artifact', async () => {
    const warnings: string[] = [];
    const store = await newStore(tmp(), warnings);
    const ref = await store.writeTable('train', KEY, 'trajectory.arrow', tableFromArrays({ x: Float64Array.from([1]) }));
    await writeFile(`${store.resolve(ref)}.meta.json`, '{"sha256": "nope"');
    expect(await store.find('train', KEY, 'trajectory.arrow')).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/sidecar trajectory\.arrow\.meta\.json is unreadable/);
    expect(await readdir(store.dirFor('train', KEY))).toEqual([]);
  });

  it('writes leave no temp files behind, even with concurrent writers of the same path', async () => {
    const store = await newStore(tmp());
    const table = tableFromArrays({ x: Float64Array.from({ length: 10_000 }, (_, i) => Math.sin(i)) });
    const refs = await Promise.all(Array.from({ length: 8 }, () => store.writeTable('sample', KEY, 'samples.arrow', table)));
    expect(new Set(refs.map((r) => r.sha256)).size).toBe(1);
    expect((await readdir(store.dirFor('sample', KEY))).sort()).toEqual(['samples.arrow', 'samples.arrow.meta.json']);
    expect((await store.readTable(refs[0]!)).numRows).toBe(10_000);
    expect(await store.find('sample', KEY, 'samples.arrow')).toEqual(refs[0]);
  });

  it('concurrent writers of one path with different bytes agree on the first complete file, never a mix', async () => {
    // Two workers computing one key with not bit-deterministic math (a threaded eigensolver).
    const store = await newStore(tmp());
    const variants = Array.from(
      { length: 6 },
      (_, v) => new Uint8Array(Float64Array.from({ length: 50_000 }, (_, i) => i + v / 10).buffer),
    );
    const refs = await Promise.all(variants.map((bytes) => store.writeBytes('spectrum', KEY, 'gram-vectors.f64', bytes, 100)));
    expect(new Set(refs.map((r) => r.sha256)).size).toBe(1);
    const winner = await store.readBytes(refs[0]!); // verifies the sidecar's checksum
    expect(variants.some((v) => Buffer.compare(Buffer.from(v), Buffer.from(winner)) === 0)).toBe(true);
    expect(await store.find('spectrum', KEY, 'gram-vectors.f64')).toEqual(refs[0]);
  });

  it('a data file left without a sidecar by a dead writer is replaced by the next write', async () => {
    const store = await newStore(tmp());
    const dir = store.dirFor('spectrum', KEY);
    await store.writeBytes('spectrum', KEY, 'x.f64', new Uint8Array([1, 2, 3]), 1);
    await rm(path.join(dir, 'x.f64.meta.json'));
    const ref = await store.writeBytes('spectrum', KEY, 'x.f64', new Uint8Array([4, 5, 6]), 1);
    expect(Array.from(await store.readBytes(ref))).toEqual([4, 5, 6]);
  }, 20_000);

  it('writeBytes then readBytes round-trips Float64 eigenvectors, aligned for a Float64Array view', async () => {
    const store = await newStore(tmp());
    const vectors = Float64Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
    const ref = await store.writeBytes('spectrum', KEY, 'eigenvectors.f64', new Uint8Array(vectors.buffer), 3);
    expect(ref.rows).toBe(3);
    const bytes = await store.readBytes(ref);
    expect(bytes.byteOffset % 8).toBe(0);
    expect(Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8))).toEqual(Array.from(vectors));
    expect(await store.find('spectrum', KEY, 'eigenvectors.f64')).toEqual(ref);
  });

  it('a file of several read chunks round-trips, and a flipped byte or a cut in a later chunk is caught', async () => {
    const warnings: string[] = [];
    const store = await newStore(tmp(), warnings);
    // 9.5 MB: three chunks of the store's reads, the last one partial.
    const values = Float64Array.from({ length: 1_187_501 }, (_, i) => Math.sin(i));
    const ref = await store.writeBytes('train', KEY, 'big.f64', new Uint8Array(values.buffer), values.length);
    const back = await store.readBytes(ref);
    expect(back.byteLength).toBe(values.byteLength);
    expect(createHash('sha256').update(back).digest('hex')).toBe(ref.sha256);
    expect(new Float64Array(back.buffer, back.byteOffset, values.length)).toEqual(values);
    const file = store.resolve(ref);
    await flipByte(file, 9_000_000);
    await expect(store.readBytes(ref)).rejects.toBeInstanceOf(ArtifactCorruptError);
    await flipByte(file, 9_000_000);
    await expect(store.readBytes(ref)).resolves.toHaveLength(values.byteLength);
    await writeFile(file, (await readFile(file)).subarray(0, 5_000_000));
    await expect(store.readBytes(ref)).rejects.toBeInstanceOf(ArtifactCorruptError);
    expect(await store.find('train', KEY, 'big.f64')).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('resolve refuses paths that escape the data root, and names must be plain', async () => {
    const store = await newStore(tmp());
    const sha256 = '0'.repeat(64);
    expect(() => store.resolve({ path: '../x', sha256, rows: 0 })).toThrow(ArtifactPathError);
    expect(() => store.resolve({ path: '../x', sha256, rows: 0 })).toThrow(
      `artifact path "../x" is refused: '..' would escape the data root ${store.root}`,
    );
    expect(() => store.resolve({ path: 'artifacts/../../x', sha256, rows: 0 })).toThrow(/escape the data root/);
    expect(() => store.resolve({ path: '/etc/passwd', sha256, rows: 0 })).toThrow(/must be relative to the data root/);
    expect(() => store.resolve({ path: 'C:/x', sha256, rows: 0 })).toThrow(/must be relative/);
    expect(() => store.resolve({ path: 'artifacts\\x', sha256, rows: 0 })).toThrow(/separator/);
    expect(store.resolve({ path: 'artifacts/a/b/c.arrow', sha256, rows: 0 })).toBe(path.join(store.root, 'artifacts', 'a', 'b', 'c.arrow'));
    expect(() => store.dirFor('..', KEY)).toThrow(ArtifactPathError);
    expect(() => store.dirFor('train', 'a/b')).toThrow(ArtifactPathError);
    await expect(store.writeBytes('train', KEY, '.hidden', new Uint8Array(1), 1)).rejects.toThrow(ArtifactPathError);
    await expect(store.writeBytes('train', KEY, 'x.meta.json', new Uint8Array(1), 1)).rejects.toThrow(/reserved for sidecars/);
  });

  it('writeJsonAtomic writes pretty JSON with a final newline and creates folders', async () => {
    const file = path.join(tmp(), 'runs', 'r1', 'manifest.json');
    await writeJsonAtomic(file, { b: 1, a: [1, 2] });
    expect(await readFile(file, 'utf8')).toBe('{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n');
    expect(await readdir(path.dirname(file))).toEqual(['manifest.json']);
  });
});
