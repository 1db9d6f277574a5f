/**
 * Sweeps: `sweep.grid` maps spec paths to lists of values; every combination is one pipeline.
 *
 *   const points = expandGrid({ 'model.width': [256, 1024], seed: [0, 1] });
 *   // [{ 'model.width': 256, seed: 0 }, { 'model.width': 256, seed: 1 }, ...] (keys sorted)
 *   const raw = pointSpec(sweepSpec, points[0]);   // the spec of one point, without `sweep`
 *
 * Pure and deterministic: the sweep workflow uses it to build its children.
 */

export type GridPoint = Record<string, unknown>;

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

/** Does `path` (dotted) name a field of `spec`? */
export function hasPath(spec: unknown, path: string): boolean {
  let node: unknown = spec;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in (node as object))) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** Set a dotted path in a plain object, creating mappings on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** The raw spec of one grid point: the sweep spec with the point's values set and `sweep` removed. */
export function pointSpec(spec: Record<string, unknown>, point: GridPoint): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  delete copy.sweep;
  delete copy.replicates;
  for (const [path, value] of Object.entries(point)) setPath(copy, path, value);
  return copy;
}

/**
 * A spec with `replicates: N` (N > 1) as the sweep that runs it: its grid (if any) gains
 * `seed: [seed, seed + 1, ..., seed + N - 1]`, so every point runs N independent seeds (the
 * sample, the target directions and the initial weights all come from the seed). Null when
 * there is nothing to replicate. A grid that already varies the seed cannot also be replicated.
 */
export function replicatesAsSweep(spec: Record<string, unknown>): Record<string, unknown> | null {
  const n = typeof spec.replicates === 'number' ? spec.replicates : 1;
  if (n <= 1) return null;
  const sweep = (spec.sweep ?? {}) as { grid?: Record<string, unknown[]>; concurrency?: number };
  if (sweep.grid && 'seed' in sweep.grid) throw new Error('replicates: the sweep grid already varies seed; use one or the other');
  const seed = typeof spec.seed === 'number' ? spec.seed : 0;
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  copy.sweep = { ...sweep, grid: { ...(sweep.grid ?? {}), seed: Array.from({ length: n }, (_, i) => seed + i) } };
  return copy;
}
