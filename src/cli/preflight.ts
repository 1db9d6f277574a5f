/**
 * What `specbias run` checks before it loads Temporal or starts a server: the spec parses, and
 * its estimated memory and artifacts fit this machine (src/spec/resources.ts), unless
 * `--allow-large`. Refusals are one line naming the field and the estimate, exit 2.
 */
import { loadSpec } from '../spec/load.js';
import { estimateResources, machineLimits, refusal } from '../spec/resources.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom } from './io.js';

export async function preflight({ positionals, values }: CommandArgs): Promise<void> {
  if (positionals.length !== 1) return; // run reports its usage
  const spec = await loadSpec(positionals[0]!, (values.set as string[] | undefined) ?? []);
  const why = refusal(
    estimateResources(spec),
    machineLimits(dataRootFrom(values.data as string | undefined)),
    Boolean(values['allow-large']),
  );
  if (why) throw new CliError(why, 2);
}
