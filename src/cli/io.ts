/**
 * CLI output rules: results (tables, data, help) go to stdout, so `specbias status > f` keeps
 * them; diagnostics and progress go to stderr. With --json stdout holds exactly one JSON value.
 */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** A result line on stdout. */
export const print = (line: string): void => void process.stdout.write(`${line}\n`);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A fixed-width text table. */
export function formatTable(header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatNumber(v: number | null | undefined, digits = 4): string | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits - 1) : v.toPrecision(digits);
}

export function dataRootFrom(flag: string | undefined): string {
  return flag ?? process.env.SPECBIAS_DATA ?? 'data';
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header line, quoted where needed, ending in a newline. */
export function csvText(header: string[], rows: unknown[][]): string {
  return [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}
