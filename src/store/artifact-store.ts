/**
 * The content-addressed artifact store: Arrow IPC files and raw binaries under
 * `<root>/artifacts/<step>/<key>/` (the keys: src/pipeline/cache-keys.ts),
 * written atomically, verified by sha256 on every read. Activities pass
 * {@link ArtifactRef}s, never arrays.
 *
 * ```ts
 * const store = await ArtifactStore.create('./data');
 * const key = contentKey({ step: { name: 'spectrum', version: 3 }, params, inputs: [samples.sha256] });
 * const ref =
 *   (await store.find('spectrum', key, 'spectrum.arrow')) ?? // present and verified: skip the step
 *   (await store.writeTable('spectrum', key, 'spectrum.arrow', table));
 * const again = await store.readTable(ref); // throws ArtifactCorruptError if the bytes changed
 * ```
 *
 * Next to each data file sits a sidecar `<fileName>.meta.json`
 * (`{sha256, rows, bytes, createdAt}`), written after it, so that `find` can
 * verify a file it has no reference for. A data file without a sidecar is an
 * interrupted write and counts as absent.
 */

import { createHash } from 'node:crypto';
import { open, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import { writeFileAtomic, writeFileExclusive, writeJsonAtomic } from './atomic-file.js';
import { DATA_ROOT_PURPOSE } from './data-root.js';
import { accessError, ArtifactCorruptError, ArtifactMissingError, ArtifactPathError, displayPath } from './errors.js';

/** Where an artifact lives and what it must hash to. `path` is relative to the data root, with `/` separators. */
export interface ArtifactRef {
  path: string;
  sha256: string;
  rows: number;
}

/** The sidecar `<fileName>.meta.json` written next to every artifact. */
export interface ArtifactMeta {
  sha256: string;
  rows: number;
  bytes: number;
  /** ISO 8601. */
  createdAt: string;
}

/** Where the store reports the corrupt artifacts it discards. `console` fits, and so does Temporal's activity `log`. */
export interface StoreLogger {
  warn(message: string): void;
}

export interface ArtifactStoreOptions {
  /** Receives one line per corrupt artifact that `find` discards. Default: `console`. */
  logger?: StoreLogger;
}

const META_SUFFIX = '.meta.json';
/** How long a writer that lost the race waits for the winner's sidecar. */
const SIDECAR_GRACE_MS = 10_000;
// One plain file or folder name: no separators, no leading dot (temp files start with one), no '..'.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._=+-]*$/;

export class ArtifactStore {
  private constructor(
    /** Absolute path of the data root. */
    readonly root: string,
    private readonly logger: StoreLogger,
  ) {}

  /** Opens (and creates, like `mkdir -p`) the data root, e.g. `./data`. */
  static async create(root: string, options: ArtifactStoreOptions = {}): Promise<ArtifactStore> {
    const absolute = path.resolve(root);
    await mkdir(absolute, { recursive: true }).catch((err: unknown) => {
      throw accessError(err, absolute, DATA_ROOT_PURPOSE) ?? err;
    });
    return new ArtifactStore(absolute, options.logger ?? console);
  }

  /** `<root>/artifacts/<step>/<key>`: the folder of one step execution. */
  dirFor(step: string, key: string): string {
    checkSegment(step, 'step');
    checkSegment(key, 'key');
    return path.join(this.root, 'artifacts', step, key);
  }

  /**
   * The sidecar of a data file another writer just created, once it is there and matches the
   * file; null if none appears within SIDECAR_GRACE_MS or the file does not match it.
   */
  private async settledMeta(file: string): Promise<ArtifactMeta | null> {
    const deadline = Date.now() + SIDECAR_GRACE_MS;
    for (;;) {
      try {
        const meta = JSON.parse(await readFile(file + META_SUFFIX, 'utf8')) as ArtifactMeta;
        return (await readHashed(file)).sha256 === meta.sha256 ? meta : null;
      } catch {
        if (Date.now() > deadline) return null;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /**
   * Writes `table` in the Arrow IPC **file** format, readable by pyarrow, polars
   * and DuckDB. Schema metadata travels with it. Read it back with {@link readTable}.
   */
  async writeTable(step: string, key: string, fileName: string, table: Table): Promise<ArtifactRef> {
    // tableToIPC defaults to the stream format; artifacts are files.
    return this.writeBytes(step, key, fileName, tableToIPC(table, 'file'), table.numRows);
  }

  /** Reads an artifact written by {@link writeTable}, after verifying its sha256. */
  async readTable(ref: ArtifactRef): Promise<Table> {
    return tableFromIPC(await this.readBytes(ref));
  }

  /**
   * Writes raw bytes (e.g. Float64 eigenvectors) atomically, then their sidecar.
   * `rows` is whatever count the caller wants the reference to carry.
   * Read them back with {@link readBytes}.
   */
  async writeBytes(step: string, key: string, fileName: string, bytes: Uint8Array, rows: number): Promise<ArtifactRef> {
    const relative = this.relativePath(step, key, fileName);
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new RangeError(`rows of artifact ${relative} must be a non-negative integer, got ${rows}`);
    }
    const file = this.resolvePath(relative);
    // First complete writer wins: two workers computing the same key never leave a data file
    // from one and a sidecar from the other (their bytes can differ where the math is not
    // bit-deterministic, e.g. a multithreaded eigensolver). The bytes are hashed as they are written.
    const hash = createHash('sha256');
    const placed = await writeFileExclusive(file, bytes, (chunk) => hash.update(chunk));
    const sha256 = hash.digest('hex');
    if (!placed) {
      const existing = await this.settledMeta(file);
      if (existing) return { path: relative, sha256: existing.sha256, rows: existing.rows };
      // No sidecar after the grace period (its writer died) or a corrupt file: replace it.
      await writeFileAtomic(file, bytes);
    }
    // The sidecar goes second: a crash in between leaves a data file without one, which find treats as absent.
    const meta: ArtifactMeta = { sha256, rows, bytes: bytes.byteLength, createdAt: new Date().toISOString() };
    await writeJsonAtomic(file + META_SUFFIX, meta);
    return { path: relative, sha256, rows };
  }

  /**
   * Reads the bytes of an artifact and checks them against `ref.sha256`.
   * Throws {@link ArtifactMissingError} or {@link ArtifactCorruptError}. Counterpart of {@link writeBytes}.
   * The result starts on an 8-byte boundary, so `new Float64Array(b.buffer, b.byteOffset, n)` works.
   */
  async readBytes(ref: ArtifactRef): Promise<Uint8Array> {
    const file = this.resolve(ref);
    let read: { data: Buffer; sha256: string };
    try {
      read = await readHashed(file);
    } catch (err) {
      if (isNotFound(err)) throw new ArtifactMissingError(displayPath(file));
      throw err;
    }
    if (read.sha256 !== ref.sha256) throw new ArtifactCorruptError(displayPath(file), ref.sha256, read.sha256);
    return aligned(read.data);
  }

  /**
   * The reference of an artifact that is present and verifies against its
   * sidecar, or null. A corrupt one is reported in one warning line, deleted
   * (with its sidecar) and reported as null, so the step recomputes it.
   */
  async find(step: string, key: string, fileName: string): Promise<ArtifactRef | null> {
    const relative = this.relativePath(step, key, fileName);
    const file = this.resolvePath(relative);
    const metaFile = file + META_SUFFIX;

    let metaText: string;
    try {
      metaText = await readFile(metaFile, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return null; // never written, or interrupted before the sidecar
      throw err;
    }
    const meta = parseMeta(metaText);

    let read: Awaited<ReturnType<typeof readHashed>>;
    try {
      read = await readHashed(file);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const { sha256: actual, identity } = read;
    if (meta === null || actual !== meta.sha256) {
      const why = meta === null ? `its sidecar ${path.basename(metaFile)} is unreadable` : `sha256 expected ${meta.sha256}, got ${actual}`;
      this.logger.warn(`artifact ${displayPath(file)} is corrupt (${why}); deleted it so the step recomputes it`);
      await discard(file, metaFile, identity);
      return null;
    }
    return { path: relative, sha256: actual, rows: meta.rows };
  }

  /**
   * The absolute path of an artifact. Refuses, with {@link ArtifactPathError},
   * any path that is absolute, uses `\`, or has a `..` (or empty, or `.`)
   * segment: references come from manifests and workflow history, and must not
   * reach outside the data root.
   */
  resolve(ref: ArtifactRef): string {
    return this.resolvePath(ref.path);
  }

  private resolvePath(p: string): string {
    if (typeof p !== 'string' || p === '') throw new ArtifactPathError(String(p), 'it is empty');
    if (p.includes('\0')) throw new ArtifactPathError(p, 'it contains a NUL byte');
    if (p.includes('\\')) throw new ArtifactPathError(p, "use '/' as the separator");
    if (path.posix.isAbsolute(p) || path.win32.isAbsolute(p)) {
      throw new ArtifactPathError(p, `it must be relative to the data root ${this.root}`);
    }
    const segments = p.split('/');
    if (segments.some((s) => s === '..')) throw new ArtifactPathError(p, `'..' would escape the data root ${this.root}`);
    if (segments.some((s) => s === '' || s === '.')) throw new ArtifactPathError(p, "it has an empty or '.' segment");
    const absolute = path.resolve(this.root, ...segments);
    const back = path.relative(this.root, absolute);
    if (back === '' || back.startsWith('..') || path.isAbsolute(back)) {
      throw new ArtifactPathError(p, `it resolves outside the data root ${this.root}`);
    }
    return absolute;
  }

  private relativePath(step: string, key: string, fileName: string): string {
    checkSegment(step, 'step');
    checkSegment(key, 'key');
    checkSegment(fileName, 'file name');
    if (fileName.endsWith(META_SUFFIX)) throw new ArtifactPathError(fileName, `names ending in ${META_SUFFIX} are reserved for sidecars`);
    return `artifacts/${step}/${key}/${fileName}`;
  }
}

interface FileIdentity {
  dev: number;
  ino: number;
}

function checkSegment(name: string, what: string): void {
  if (typeof name !== 'string' || !SEGMENT.test(name) || name.includes('..')) {
    throw new ArtifactPathError(String(name), `a ${what} must be one plain name of letters, digits and . _ = + - (not starting with '.')`);
  }
}

function parseMeta(text: string): ArtifactMeta | null {
  try {
    const meta = JSON.parse(text) as Partial<ArtifactMeta> | null;
    if (
      meta !== null &&
      typeof meta === 'object' &&
      typeof meta.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(meta.sha256) &&
      Number.isSafeInteger(meta.rows) &&
      (meta.rows as number) >= 0
    ) {
      return meta as ArtifactMeta;
    }
  } catch {
    // fall through: an unparseable sidecar means the artifact cannot be trusted
  }
  return null;
}

/**
 * Deletes a corrupt artifact and its sidecar, unless a concurrent writer has
 * meanwhile renamed a fresh file onto the path (then the inode differs and the
 * new file stays).
 */
async function discard(file: string, metaFile: string, identity: FileIdentity): Promise<void> {
  try {
    const now = await stat(file);
    if (now.dev !== identity.dev || now.ino !== identity.ino) return;
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  await unlink(file).catch(ignoreNotFound);
  await unlink(metaFile).catch(ignoreNotFound);
}

/** Bytes read per call by {@link readHashed}. */
const READ_CHUNK = 4 << 20;

/**
 * A file's bytes, their sha256 and the file's identity, hashing each chunk while the next one is read (on libuv's
 * threads): a 30 MB trajectory takes about the hash's time alone, 28 ms, against 37–57 ms for
 * reading it whole and then hashing it.
 */
async function readHashed(file: string): Promise<{ data: Buffer; sha256: string; identity: FileIdentity }> {
  const handle = await open(file, 'r');
  try {
    const { size, dev, ino } = await handle.stat();
    const data = Buffer.allocUnsafe(size);
    const hash = createHash('sha256');
    let done = 0;
    let next = size > 0 ? handle.read(data, 0, Math.min(READ_CHUNK, size), 0) : null;
    while (next) {
      const { bytesRead } = await next;
      const start = done;
      done += bytesRead;
      // A file that shrank under us ends early; its hash cannot match.
      next = bytesRead > 0 && done < size ? handle.read(data, done, Math.min(READ_CHUNK, size - done), done) : null;
      hash.update(data.subarray(start, done));
    }
    return { data: data.subarray(0, done), sha256: hash.digest('hex'), identity: { dev, ino } };
  } finally {
    await handle.close();
  }
}

function aligned(data: Buffer): Uint8Array {
  // Small reads may come from Node's shared buffer pool at any offset; typed-array views need alignment.
  if (data.byteOffset % 8 === 0) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
