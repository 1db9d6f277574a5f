/**
 * Sweep grids, the pure part: `sweep.grid` maps spec paths to lists of values, and every
 * combination is one pipeline. No imports, so workflow code may use it.
 *
 *   expandGrid({ 'model.width': [256, 1024], seed: [0, 1] });
 *   // [{ 'model.width': 256, seed: 0 }, { 'model.width': 256, seed: 1 }, ...] (keys sorted)
 *   pointSpec(sweepSpec, { seed: 1 });   // the raw spec of one point, without `sweep`
 *
 * Cost is linear in the number of points: each point copies the spec without its grid.
 */

export type GridPoint = Record<string, unknown>;

/**
 * Most points one sweep may have. The sweep's prepared point list travels as one Temporal
 * payload (about 150 bytes a point against the server's 2 MB limit).
 */
export const MAX_SWEEP_POINTS = 10_000;

/** Path segments that would reach an object's prototype instead of a spec field. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a dotted spec path cannot be used, or null when it can: empty or prototype-reaching segments. */
export function badPathReason(path: string): string | null {
  for (const key of path.split('.')) {
    if (key === '') return 'has an empty path segment';
    if (FORBIDDEN_SEGMENTS.has(key)) return `uses "${key}", which names no spec field`;
  }
  return null;
}

/** The number of points of a grid (the product of its list lengths), without expanding it. */
export function gridSize(grid: Record<string, unknown[]>): number {
  let size = 1;
  for (const values of Object.values(grid)) size *= values.length;
  return size;
}

/** The cartesian product of the grid, keys in sorted order, the last key varying fastest. */
export function expandGrid(grid: Record<string, unknown[]>): GridPoint[] {
  const keys = Object.keys(grid).sort();
  let points: GridPoint[] = [{}];
  for (const key of keys) {
    const next: GridPoint[] = [];
    for (const p of points) for (const v of grid[key]!) next.push({ ...p, [key]: v });
    points = next;
  }
  return points;
}

/** Set a dotted path in a plain object, creating mappings on the way. Refuses prototype paths. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const reason = badPathReason(path);
  if (reason) throw new RangeError(`path "${path}" ${reason}`);
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** The raw spec of one grid point: the sweep spec with the point's values set and `sweep` (and `replicates`, which a sweep expands) removed. */
export function pointSpec(spec: Record<string, unknown>, point: GridPoint): Record<string, unknown> {
  return withPoint(baseJson(spec), point);
}

export interface GridPointSpec {
  index: number;
  params: GridPoint;
  /** The point's raw spec (not yet validated). */
  spec: Record<string, unknown>;
}

/** Every point of `spec.sweep.grid` with its raw spec, in {@link expandGrid} order. */
export function* gridPointSpecs(spec: Record<string, unknown>): Generator<GridPointSpec> {
  const grid = (spec.sweep as { grid?: Record<string, unknown[]> } | undefined)?.grid ?? {};
  const base = baseJson(spec);
  let index = 0;
  for (const params of expandGrid(grid)) yield { index: index++, params, spec: withPoint(base, params) };
}

/** The spec without `sweep` and `replicates`, serialized once: copying it per point never copies the grid. */
function baseJson(spec: Record<string, unknown>): string {
  const { sweep: _sweep, replicates: _replicates, ...rest } = spec;
  return JSON.stringify(rest);
}

function withPoint(base: string, point: GridPoint): Record<string, unknown> {
  const copy = JSON.parse(base) as Record<string, unknown>;
  for (const [path, value] of Object.entries(point)) setPath(copy, path, copyJson(value));
  return copy;
}

/** Grid values are JSON (from YAML or a workflow payload); copy them so points never share objects. */
function copyJson(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? (JSON.parse(JSON.stringify(value)) as unknown) : value;
}
