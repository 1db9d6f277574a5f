/**
 * The SQL files of the package, `sql/schema.sql`, `sql/views.sql` and `sql/rates.sql`:
 * where they are, their text, and the views parsed out of views.sql.
 *
 * ```ts
 * const select = await readRatesSql();             // one SELECT reading the session variable run_id
 * const views = await viewDefinitions();           // [{ name: 'run_params', select: 'SELECT ...' }, ...]
 * ```
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of `sql/<file>` in the package root: the first folder above
 * this module holding package.json and that file. Works from `src/store/`
 * and from the compiled `dist/src/store/`.
 */
function sqlFilePath(file: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'sql', file);
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`sql/${file} not found in any folder above ${here}; reinstall specbias`);
  }
}

/** Absolute path of `sql/schema.sql`: the tables, `CREATE TABLE IF NOT EXISTS` each. */
export function schemaSqlPath(): string {
  return sqlFilePath('schema.sql');
}

/** The text of `sql/schema.sql`, run on every read-write open before the views. */
export async function readSchemaSql(): Promise<string> {
  return readFile(schemaSqlPath(), 'utf8');
}

/** Absolute path of `sql/rates.sql` (see {@link readRatesSql}). */
export function ratesSqlPath(): string {
  return sqlFilePath('rates.sql');
}

/** The text of `sql/rates.sql`: one SELECT reading the session variable run_id. */
export async function readRatesSql(): Promise<string> {
  return readFile(ratesSqlPath(), 'utf8');
}

/** Absolute path of `sql/views.sql` (see {@link readViewsSql}). */
export function viewsSqlPath(): string {
  return sqlFilePath('views.sql');
}

/** The text of `sql/views.sql`: `CREATE OR REPLACE VIEW` statements, run on every read-write open. */
export async function readViewsSql(): Promise<string> {
  return readFile(viewsSqlPath(), 'utf8');
}

/** One view of `sql/views.sql`: its name and the SELECT that defines it. */
export interface ViewDefinition {
  name: string;
  select: string;
}

/**
 * The views of `sql/views.sql`, in file order (a view only refers to those
 * before it). A reader of a database that lacks them, such as a read-only
 * handle on a file last written by an older specbias, can prefix its query
 * with `WITH name AS (select), ...` and get the same answers.
 */
export async function viewDefinitions(): Promise<ViewDefinition[]> {
  // The file's own rule: comments start with -- outside string literals (it has none inside), and
  // each statement ends with a semicolon.
  const text = (await readViewsSql()).replace(/--[^\n]*/g, '');
  const views: ViewDefinition[] = [];
  for (const statement of text.split(';')) {
    if (statement.trim() === '') continue;
    const match = /^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\w+)\s+AS\s+([\s\S]+)$/i.exec(statement);
    if (!match)
      throw new Error(`${viewsSqlPath()}: expected only CREATE OR REPLACE VIEW statements, got: ${statement.trim().slice(0, 60)}`);
    views.push({ name: match[1]!, select: match[2]!.trim() });
  }
  return views;
}
