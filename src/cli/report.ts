/** `specbias report RUN|SWEEP [--out DIR] [--data DIR] [--json]`: figures and report.md for a run or a sweep. */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, printJson, say } from './io.js';

export async function reportCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length !== 1) throw new CliError('report: expected one RUN or SWEEP id (usage: specbias report RUN|SWEEP [--out DIR] [--data DIR])', 2);
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const database = join(dataRoot, 'results.duckdb');
  if (!existsSync(database)) throw new CliError(`report: no results database at ${database}; run a pipeline first (specbias run SPEC)`);
  // Loaded here: vega and resvg are heavy, and only this command needs them.
  const { writeReport, ReportTargetError, AmbiguousReportTargetError } = await import('../report/index.js');
  const written = await writeReport({ dataRoot, id: positionals[0]!, outDir: values.out as string | undefined, log: say }).catch((err: unknown) => {
    if (err instanceof ReportTargetError || err instanceof AmbiguousReportTargetError) throw new CliError(`report: ${err.message}`);
    throw err;
  });
  if (values.json) {
    printJson(written);
    return 0;
  }
  say(`report for ${written.kind} ${written.id} (${written.runIds.length} run${written.runIds.length === 1 ? '' : 's'}) in ${written.dir}:`);
  for (const f of written.files) {
    const size = f.width ? `${f.width}x${f.height} px, ` : '';
    say(`  ${relative(written.dir, f.path)}  (${size}${(f.bytes / 1024).toFixed(1)} KiB)`);
  }
  return 0;
}
