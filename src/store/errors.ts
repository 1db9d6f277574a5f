/**
 * Failure kinds of the store: one small class per kind, each carrying the
 * offending value as a readonly field and building its message from it.
 *
 * ```ts
 * try {
 *   await store.readTable(ref);
 * } catch (err) {
 *   if (err instanceof ArtifactCorruptError) console.error(err.path, err.expected, err.actual);
 *   throw err;
 * }
 * ```
 */

import path from 'node:path';

/** How a file is named in messages: relative to the working directory when it lies below it, else absolute. */
export function displayPath(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : absolute;
}

/** An artifact file whose sha256 is not the one its reference or sidecar records. */
export class ArtifactCorruptError extends Error {
  override readonly name = 'ArtifactCorruptError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`artifact ${path} is corrupt: sha256 expected ${expected}, got ${actual}`);
  }
}

/** An artifact reference whose file is not on disk. */
export class ArtifactMissingError extends Error {
  override readonly name = 'ArtifactMissingError';
  constructor(readonly path: string) {
    super(`artifact ${path} is missing; rerun the step that writes it`);
  }
}

/** An artifact path or path segment that would leave the data root, or is not a plain name. */
export class ArtifactPathError extends Error {
  override readonly name = 'ArtifactPathError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`artifact path ${JSON.stringify(path)} is refused: ${reason}`);
  }
}

/** A value that has no canonical JSON form (NaN, Infinity, undefined in an array, a bigint, a cycle...). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
  constructor(
    /** JSONPath-like location of the value, e.g. `$.training.learningRate`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot canonicalize ${path}: ${reason}`);
  }
}

/** An Arrow table handed to ingestion that lacks a column or has it with the wrong type. */
export class TableSchemaError extends Error {
  override readonly name = 'TableSchemaError';
  constructor(
    readonly table: string,
    readonly column: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${table} table: column "${column}" must be ${expected}, got ${actual}`);
  }
}

/** The results database stayed locked for longer than the caller would wait. */
export class ResultsLockedError extends Error {
  override readonly name = 'ResultsLockedError';
  constructor(
    readonly path: string,
    readonly waitedMs: number,
    /** Who holds it, e.g. `another process (/usr/bin/node, PID 4242)`. */
    readonly holder = 'another process',
  ) {
    super(
      `results database ${path} is locked by ${holder}; waited ${(waitedMs / 1000).toFixed(1)} s. ` +
        'DuckDB allows one writer at a time: wait for it to finish, or raise lockTimeoutMs',
    );
  }
}

/** A read-only open of a results database that does not exist yet. */
export class ResultsMissingError extends Error {
  override readonly name = 'ResultsMissingError';
  constructor(readonly path: string) {
    super(`results database ${path} does not exist yet; run a pipeline first`);
  }
}

/** A results database DuckDB cannot read, or whose tables are not the ones `sql/schema.sql` declares. */
export class ResultsCorruptError extends Error {
  override readonly name = 'ResultsCorruptError';
  constructor(
    readonly path: string,
    /** One line: DuckDB's error, or which table differs. */
    readonly reason: string,
    readonly kind: 'corrupt' | 'incompatible',
  ) {
    super(`results database ${path} is ${kind === 'corrupt' ? 'unreadable' : 'incompatible'}: ${reason}`);
  }
}

const ACCESS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** A path under the data root that specbias must create or write, refused by the file system. */
export class DataRootAccessError extends Error {
  override readonly name = 'DataRootAccessError';
  constructor(
    readonly path: string,
    readonly code: string,
    /** What specbias needs the path for, e.g. `write the results database`. */
    readonly purpose: string,
  ) {
    super(
      `${path} is not writable (${ACCESS_REASONS[code] ?? code}): specbias needs it to ${purpose}; ` +
        'pass --data DIR naming a writable data root, or fix its permissions',
    );
  }
}

/**
 * `err` as a {@link DataRootAccessError} when it is a permission or read-only-file-system
 * failure (a Node errno, or DuckDB's "Permission denied" / "Read-only file system"), else null.
 */
export function accessError(err: unknown, absolute: string, purpose: string): DataRootAccessError | null {
  const e = err as NodeJS.ErrnoException;
  let code = typeof e?.code === 'string' && e.code in ACCESS_REASONS ? e.code : undefined;
  if (code === undefined && err instanceof Error) {
    if (/Permission denied/i.test(err.message)) code = 'EACCES';
    else if (/Read-only file system/i.test(err.message)) code = 'EROFS';
  }
  return code === undefined ? null : new DataRootAccessError(displayPath(typeof e?.path === 'string' ? e.path : absolute), code, purpose);
}
