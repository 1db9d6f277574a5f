/**
 * Crash-safe file replacement: a reader sees the old file or the new one,
 * never a torn mix, even with several processes writing the same path.
 *
 * ```ts
 * await writeFileAtomic('data/artifacts/train/ab12/trajectory.arrow', bytes);
 * await writeJsonAtomic('data/runs/r1/manifest.json', manifest);
 * ```
 */

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` to `file` atomically: a uniquely named temp file in the same
 * directory (same filesystem, so rename cannot degrade to a copy), fsync, rename
 * onto `file`, fsync the directory so the rename itself survives a crash.
 * Creates the directory if needed.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await publish(file, data, async (temp) => {
    await rename(temp, file);
    return true;
  });
}

/**
 * Writes `data` to `file` only if `file` does not exist yet, atomically (temp file, fsync, then
 * `link`, which fails if the name is taken). Returns false, writing nothing, when another writer
 * got there first: for content-addressed paths the first complete file wins.
 */
export async function writeFileExclusive(file: string, data: Uint8Array, onChunk?: (chunk: Uint8Array) => void): Promise<boolean> {
  return publish(
    file,
    data,
    async (temp) => {
      try {
        await link(temp, file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    },
    onChunk,
  );
}

/** Bytes per write of {@link writeChunks}: Node's own `writeFile` chunk (4 MB writes were slower here). */
const WRITE_CHUNK = 512 << 10;

/**
 * Writes `data` a chunk at a time and hands each chunk to `onChunk` (in order, once) while its
 * write runs on libuv's threads: a caller hashing what it writes pays for the hash and the write
 * together, not one after the other.
 */
async function writeChunks(handle: FileHandle, data: Uint8Array, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  for (let start = 0; start < data.length; start += WRITE_CHUNK) {
    const chunk = data.subarray(start, Math.min(data.length, start + WRITE_CHUNK));
    const written = writeAll(handle, chunk, start);
    onChunk(chunk);
    await written;
  }
}

/** All of `chunk` at `position` (a write may take fewer bytes than asked). */
async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * The shared part: write and fsync a uniquely named temp file next to `file`, let `place` put
 * it under its final name, fsync the directory if it did, and never leave the temp file behind.
 */
async function publish(
  file: string,
  data: Uint8Array | string,
  place: (temp: string) => Promise<boolean>,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<boolean> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  // pid + random: concurrent writers of one content-addressed path never share a temp file.
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      if (onChunk && typeof data !== 'string') await writeChunks(handle, data, onChunk);
      else await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const placed = await place(temp);
    if (placed) await syncDirectory(dir);
    return placed;
  } finally {
    // After a rename the temp name is gone already; after a link or a failure it is removed here.
    await unlink(temp).catch(() => undefined);
  }
}

/** Pretty JSON (two-space indent) plus a final newline, written with {@link writeFileAtomic}. For manifests and sidecars. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`cannot write ${file}: the value has no JSON form`);
  await writeFileAtomic(file, `${text}\n`);
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) and filesystems cannot open or fsync a directory; the rename already happened.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') throw err;
  } finally {
    await handle?.close();
  }
}
