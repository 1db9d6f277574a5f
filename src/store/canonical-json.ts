/**
 * Canonical JSON and the content keys built on it.
 *
 * Two values that mean the same thing must hash the same, whatever order their
 * object keys were written in, so artifact addresses are
 * `sha256(canonicalJson({step: {name, version}, params, inputs}))`, `inputs`
 * being the sha256 of the upstream artifacts (src/pipeline/cache-keys.ts).
 *
 * ```ts
 * canonicalJson({ b: [2, 1], a: { d: 1, c: null } }); // '{"a":{"c":null,"d":1},"b":[2,1]}'
 * const key = contentKey({ step: { name: 'spectrum', version: 3 }, params, inputs: [samples.sha256] });
 * store.dirFor('spectrum', key);
 * ```
 */

import { createHash } from 'node:crypto';
import { CanonicalJsonError } from './errors.js';

/**
 * Serializes `value` with object keys sorted recursively (by UTF-16 code unit,
 * as `Array.prototype.sort` does), no whitespace, and array order kept.
 * Numbers and strings are written by `JSON.stringify`.
 *
 * Refused, with a {@link CanonicalJsonError} naming the location: NaN and
 * ±Infinity (JSON would silently write `null`), `undefined`, functions and
 * symbols inside arrays, bigints, cycles, and objects that are neither plain
 * nor have `toJSON` (a Map or a typed array would otherwise lose its content).
 * Object properties whose value is `undefined` are omitted, as in `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** Lowercase hex sha256 of a string (hashed as UTF-8) or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256Hex(canonicalJson(parts))`: the content address of whatever `parts` describes. */
export function contentKey(parts: unknown): string {
  return sha256Hex(canonicalJson(parts));
}

function write(value: unknown, at: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(at, `${value} has no JSON form`);
      return JSON.stringify(value);
    case 'bigint':
      throw new CanonicalJsonError(at, `bigint ${value}n has no JSON form; convert it to a number or string`);
    case 'undefined':
      throw new CanonicalJsonError(at, 'undefined has no JSON form');
    case 'function':
    case 'symbol':
      throw new CanonicalJsonError(at, `a ${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (ancestors.has(obj)) throw new CanonicalJsonError(at, 'the value contains a cycle');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    return write(toJSON.call(obj, at === '$' ? '' : at), at, ancestors);
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item, i) => write(item, `${at}[${i}]`, ancestors)).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CanonicalJsonError(at, `a ${kind} is not a plain object; convert it to one (or to an array) first`);
    }
    const entries: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const item = (obj as Record<string, unknown>)[key];
      if (item === undefined) continue; // as JSON.stringify: an absent optional field
      entries.push(`${JSON.stringify(key)}:${write(item, childPath(at, key), ancestors)}`);
    }
    return `{${entries.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

function childPath(at: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}
