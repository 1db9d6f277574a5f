/**
 * What `specbias run` checks before it loads Temporal or starts a server: the spec parses, and
 * its estimated memory and artifacts fit this machine (src/spec/resources.ts), unless
 * `--allow-large`. Refusals are one line naming the field and the estimate, exit 2. File data:
 * the file must exist and its row count fills in `data.n` when it is left out; a refusal also
 * names the file.
 */
import { loadSpec } from '../spec/load.js';
import { estimateResources, machineLimits, refusal, type MachineLimits } from '../spec/resources.js';
import { access, constants } from 'node:fs/promises';
import { SpecError, type PipelineSpec } from '../spec/schema.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom } from './io.js';

export async function preflight({ positionals, values }: CommandArgs): Promise<void> {
  if (positionals.length !== 1) return; // run reports its usage
  const spec = await loadSpec(positionals[0]!, (values.set as string[] | undefined) ?? []);
  const why = await sizeRefusal(spec, machineLimits(dataRootFrom(values.data as string | undefined)), Boolean(values['allow-large']));
  if (why) throw new CliError(why, 2);
}

/** Why the spec cannot run on a machine with `limits`, as one line (naming the file for file data); null when it fits. */
export async function sizeRefusal(spec: PipelineSpec, limits: MachineLimits, allowLarge: boolean): Promise<string | null> {
  const dist = spec.data.distribution;
  if (dist.kind === 'file') {
    // A missing or unreadable file is one line before any server starts.
    const { dataFileFormat } = await import('../store/data-file.js');
    dataFileFormat(dist.path);
    await access(dist.path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : `cannot read it (${err.code ?? String(err)})`;
      throw new SpecError('data.distribution.path', `${dist.path}: ${why}`);
    });
  }
  if (dist.kind === 'file' && spec.data.n === undefined) {
    const { countDataFileRows } = await import('../store/data-file.js');
    const rows = await countDataFileRows(dist.path);
    spec = { ...spec, data: { ...spec.data, n: Math.max(0, rows - spec.data.nTest) } };
  }
  const why = refusal(estimateResources(spec), limits, allowLarge);
  return why && dist.kind === 'file' ? `${dist.path}: ${why}` : why;
}
