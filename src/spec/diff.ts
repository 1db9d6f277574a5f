/**
 * The spec fields that differ between runs, as dotted paths: what `specbias report A B` lists
 * (like `dvc exp diff`) and what names the points of a sweep (point-labels.ts).
 *
 *   flattenSpec({ model: { width: 256 } });            // { 'model.width': '256' }
 *   differingFields([specA, specB]);                    // [{ path: 'model.width', values: ['256', '1024'] }]
 */

/** `{a: {b: 1}}` -> `{'a.b': '1'}`: every leaf of the spec as canonical JSON text, arrays whole; undefined leaves are absent, as in JSON. */
export function flattenSpec(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenSpec(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

/** The spec fields whose value is not the same in every run (absent counts as a value), sorted by path. */
export function differingFields(specs: unknown[]): { path: string; values: (string | null)[] }[] {
  const flat = specs.map((s) => flattenSpec(s));
  const paths = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return paths.map((p) => ({ path: p, values: flat.map((f) => f[p] ?? null) })).filter((d) => new Set(d.values).size > 1);
}
