/** `specbias sql "QUERY" [--json|--csv]`: read-only SQL on results.duckdb. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, formatTable, printJson } from './io.js';

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function sqlCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length !== 1) throw new CliError('sql: expected one QUERY argument, quoted (usage: specbias sql "QUERY" [--json|--csv])', 2);
  if (values.json && values.csv) throw new CliError('sql: choose one of --json and --csv', 2);
  const path = join(dataRootFrom(values.data as string | undefined), 'results.duckdb');
  if (!existsSync(path)) throw new CliError(`sql: no results database at ${path}; run a pipeline first (specbias run SPEC)`);
  const rows = await withResultsDb(path, { readOnly: true }, (db) => db.query(positionals[0]!)).catch((err: Error) => {
    throw new CliError(`sql: ${err.message.split('\n')[0]}`);
  });
  if (values.json) {
    printJson(rows);
  } else if (values.csv) {
    const cols = rows.length ? Object.keys(rows[0]!) : [];
    process.stdout.write([cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n');
  } else {
    const cols = rows.length ? Object.keys(rows[0]!) : [];
    const show = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
    process.stdout.write(`${formatTable(cols, rows.map((r) => cols.map((c) => show(r[c]))))}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
  }
  return 0;
}
