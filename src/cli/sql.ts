/**
 * `specbias sql ["QUERY" | -f FILE | < FILE] [--json|--csv]`: read-only SQL on results.duckdb.
 * The SQL may hold several statements (the last one's rows are printed) and comments, a
 * leading `-- comment` included; it comes from the argument, from FILE, or from stdin.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { csvText, dataRootFrom, formatTable, printJson } from './io.js';

const USAGE = 'usage: specbias sql ["QUERY" | -f FILE | < FILE] [--json|--csv]';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The SQL text: the one argument, or -f FILE (- is stdin), or stdin when it is not a terminal. */
async function sqlText({ positionals, values }: CommandArgs): Promise<string> {
  const file = values.file as string | undefined;
  if (positionals.length > 1) throw new CliError(`sql: expected one QUERY argument, quoted; got ${positionals.length} (${USAGE})`, 2);
  if (file !== undefined && positionals.length)
    throw new CliError(`sql: give the query as an argument or with -f FILE, not both (${USAGE})`, 2);
  if (positionals.length) return positionals[0]!;
  if (file === '-' || (file === undefined && !process.stdin.isTTY)) return readStdin();
  if (file !== undefined) {
    return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`sql: cannot read -f ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, 2);
    });
  }
  throw new CliError(`sql: no query; pass one quoted, with -f FILE, or on stdin (${USAGE})`, 2);
}

export async function sqlCommand(args: CommandArgs): Promise<number> {
  const { values } = args;
  if (values.json && values.csv) throw new CliError('sql: choose one of --json and --csv', 2);
  const path = join(dataRootFrom(values.data as string | undefined), 'results.duckdb');
  const query = await sqlText(args);
  if (query.trim() === '') throw new CliError('sql: the query is empty', 2);
  if (!existsSync(path)) throw new CliError(`sql: no results database at ${path}; run a pipeline first (specbias run SPEC)`);
  const rows = await withResultsDb(path, { readOnly: true }, (db) => db.query(query)).catch((err: Error) => {
    throw new CliError(`sql: ${err.message.split('\n')[0]}`);
  });
  const cols = rows.length ? Object.keys(rows[0]!) : [];
  if (values.json) {
    // One JSON style: a JSON column named spec comes out as an object, not a string.
    printJson(rows.map((r) => (typeof r.spec === 'string' && r.spec.startsWith('{') ? { ...r, spec: JSON.parse(r.spec) as unknown } : r)));
  } else if (values.csv) {
    process.stdout.write(
      csvText(
        cols,
        rows.map((r) => cols.map((c) => r[c])),
      ),
    );
  } else {
    const show = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
    process.stdout.write(
      `${formatTable(
        cols,
        rows.map((r) => cols.map((c) => show(r[c]))),
      )}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`,
    );
  }
  return 0;
}
