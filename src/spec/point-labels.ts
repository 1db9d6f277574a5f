/**
 * Names for the points of a sweep: each point by the spec fields whose values differ across
 * the points, short leaf names where they are unambiguous, fields in the order a spec file
 * lists them. The report's axes and panels and the CLI's progress line all use these.
 *
 *   pointLabels([gd, sgd64, adam]);   // ['optimizer=gd', 'optimizer=sgd batchSize=64', 'optimizer=adam']
 *   pointLabels([lr1, lr4]);          // ['learningRate=1', 'learningRate=4']
 *   sweepPointLabels(spec);           // run id -> 'optimizer=adam' (every seed of that point)
 *
 * The seed is left out: the seeds of replicates are not grid points (callers that name single
 * runs add it). A field absent from a point is left out of its label, unless the schema says
 * what its absence means (IMPLIED_DEFAULTS: `optimizer=gd`). Two different points that would
 * still read alike (64 and "64") get their `ids` (or a hash of their spec) appended.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../store/canonical-json.js';
import { differingFields } from './diff.js';
import { gridPointSpecs, setPath } from './grid.js';
import { runIdFor } from './hash.js';
import { IMPLIED_DEFAULTS, parseSpec, specPathOrder, type PipelineSpec } from './schema.js';

/** The label of a point whose differing fields are all absent (every one at its default). */
export const DEFAULTS_LABEL = 'defaults';

/** One label per spec, in the order given; specs that differ only in seed get the same label, '' when no point differs from another. */
export function pointLabels(specs: unknown[], ids?: string[]): string[] {
  const configs = specs.map(withoutSeed);
  const fields = differingFields(configs).sort((a, b) => compareOrder(specPathOrder(a.path), specPathOrder(b.path)));
  const names = shortNames(fields.map((f) => f.path));
  const labels = configs.map((_, i) => {
    const parts = fields.flatMap((f, j) => (f.values[i] === null ? [] : [`${names[j]}=${shown(f.values[i]!)}`]));
    return parts.length || !fields.length ? parts.join(' ') : DEFAULTS_LABEL;
  });
  // Distinct points under one label: the hash tells them apart (the last resort).
  const keys = configs.map((c) => canonicalJson(c));
  const pointsOf = new Map<string, Set<string>>();
  labels.forEach((l, i) => pointsOf.set(l, (pointsOf.get(l) ?? new Set()).add(keys[i]!)));
  return labels.map((l, i) =>
    pointsOf.get(l)!.size > 1 ? `${l} ${(ids?.[i] ?? createHash('sha256').update(keys[i]!).digest('hex')).slice(0, 6)}` : l,
  );
}

/** Every run of a sweep spec named by its grid point (the seed left out, as in pointLabels): run id -> label. */
export function sweepPointLabels(spec: PipelineSpec): Map<string, string> {
  const specs = [...gridPointSpecs(spec as unknown as Record<string, unknown>)].map((p) => parseSpec(p.spec));
  const labels = pointLabels(specs);
  return new Map(specs.map((s, i) => [runIdFor(s), labels[i]!]));
}

/** A copy without `seed`, the fields the schema stores as absent filled in with their meaning. */
function withoutSeed(spec: unknown): Record<string, unknown> {
  const { seed: _seed, ...rest } = (spec ?? {}) as Record<string, unknown>;
  const copy = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(IMPLIED_DEFAULTS)) {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], copy);
    // Only inside a mapping the spec has, and only where the field is absent.
    if (parent && typeof parent === 'object' && (parent as Record<string, unknown>)[keys.at(-1)!] === undefined) setPath(copy, path, value);
  }
  return copy;
}

/** Lexicographic order of two specPathOrder results. */
function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The shortest trailing part of each path that no other path ends with: `optimizer`, but
 * `distribution.kind`-like clashes keep their parents. A union's `kind` reads as its mapping
 * (`data.distribution.kind` -> `distribution`).
 */
function shortNames(paths: string[]): string[] {
  const segments = paths.map((p) => {
    const s = p.split('.');
    return s.length > 1 && s.at(-1) === 'kind' ? s.slice(0, -1) : s;
  });
  return segments.map((s, i) => {
    for (let n = 1; n < s.length; n++) {
      const tail = s.slice(-n).join('.');
      if (segments.every((o, j) => j === i || o.slice(-n).join('.') !== tail)) return tail;
    }
    return s.join('.');
  });
}

/** A value as a label shows it: strings bare, everything else as JSON. */
function shown(json: string): string {
  const value = JSON.parse(json) as unknown;
  return typeof value === 'string' ? value : json;
}
