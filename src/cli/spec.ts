/** `specbias spec [--json] SPEC`: validate and print the canonical spec, its hash and run id. */
import { loadSpec } from '../spec/load.js';
import { canonicalSpecJson, runIdFor, specHash } from '../spec/hash.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { say } from './io.js';

export async function specCommand({ positionals, values }: CommandArgs): Promise<number> {
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new CliError('spec: expected exactly one SPEC file (usage: specbias spec [--json] SPEC)', 2);
  const spec = await loadSpec(file, (values.set as string[] | undefined) ?? []);
  if (values.json) {
    // Exactly the canonical JSON: keys sorted, defaults filled in; a valid workflow input.
    process.stdout.write(`${canonicalSpecJson(spec)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(JSON.parse(canonicalSpecJson(spec)), null, 2)}\n`);
    say(`spec hash ${specHash(spec)}  run id ${runIdFor(spec)}`);
  }
  return 0;
}
