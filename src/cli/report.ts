/** `specbias report RUN|SWEEP [RUN...] [--out DIR] [--data DIR] [--json]`: figures, report.html and report.md for a run, a sweep, or a comparison of runs. */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, printJson, say } from './io.js';

export async function reportCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (positionals.length === 0)
    throw new CliError(
      'report: expected a RUN or SWEEP id, or several to compare (usage: specbias report RUN|SWEEP [RUN...] [--out DIR] [--data DIR])',
      2,
    );
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const database = join(dataRoot, 'results.duckdb');
  if (!existsSync(database)) throw new CliError(`report: no results database at ${database}; run a pipeline first (specbias run SPEC)`);
  // Loaded here: vega and resvg are heavy, and only this command needs them.
  const { writeReport, ReportTargetError, AmbiguousReportTargetError } = await import('../report/index.js');
  const written = await writeReport({
    dataRoot,
    id: positionals[0]!,
    ids: positionals.slice(1),
    outDir: values.out as string | undefined,
    log: say,
  }).catch((err: unknown) => {
    if (err instanceof ReportTargetError || err instanceof AmbiguousReportTargetError) throw new CliError(`report: ${err.message}`);
    throw err;
  });
  if (values.json) {
    printJson(written);
    return 0;
  }
  say(
    `report for ${written.kind === 'runs' ? 'the comparison' : written.kind} ${written.id} (${written.runIds.length} run${written.runIds.length === 1 ? '' : 's'}) in ${written.dir}:`,
  );
  for (const f of written.files) {
    const size = f.width ? `${f.width}x${f.height} px, ` : '';
    say(`  ${relative(written.dir, f.path)}  (${size}${(f.bytes / 1024).toFixed(1)} KiB)`);
  }
  return 0;
}
