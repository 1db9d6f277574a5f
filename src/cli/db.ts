/** `specbias db rebuild`: rebuild results.duckdb from the run manifests and their verified artifacts. */
import { join } from 'node:path';
import { ensureWritableDataRoot } from '../store/data-root.js';
import { describeRebuild, rebuildResultsDb } from '../store/results-db.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, printJson, say } from './io.js';

export async function dbCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length !== 1 || positionals[0] !== 'rebuild') {
    throw new CliError(
      `db: expected the subcommand rebuild${positionals[0] ? `, got "${positionals[0]}"` : ''} (usage: specbias db rebuild [--json] [--data DIR])`,
      2,
    );
  }
  const root = await ensureWritableDataRoot(dataRootFrom(values.data as string | undefined));
  const summary = await rebuildResultsDb(join(root, 'results.duckdb'), { logger: { warn: say } });
  if (values.json) {
    printJson(summary);
  } else {
    const kept = summary.movedTo ? `; the previous file is kept as ${summary.movedTo}` : '';
    say(`rebuilt ${summary.file} from the run manifests: ${describeRebuild(summary)}${kept}`);
  }
  return summary.skipped.length > 0 ? 1 : 0;
}
