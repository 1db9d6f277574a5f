/** `specbias spec [--json] SPEC` and `specbias spec --schema`: validate and print a spec, or print the JSON Schema of specs. */
import { loadSpec } from '../spec/load.js';
import { canonicalSpecJson, runIdFor, specHash } from '../spec/hash.js';
import { specJsonSchemaText } from '../spec/reference.js';
import { bytes, estimateResources } from '../spec/resources.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { say } from './io.js';

export async function specCommand({ positionals, values }: CommandArgs): Promise<number> {
  if (values.schema) {
    if (positionals.length > 0) throw new CliError('spec: --schema takes no SPEC file (usage: specbias spec --schema)', 2);
    process.stdout.write(specJsonSchemaText());
    return 0;
  }
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new CliError('spec: expected exactly one SPEC file (usage: specbias spec [--json] SPEC)', 2);
  const spec = await loadSpec(file, (values.set as string[] | undefined) ?? []);
  if (values.json) {
    // Exactly the canonical JSON: keys sorted, defaults filled in; a valid workflow input.
    process.stdout.write(`${canonicalSpecJson(spec)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(JSON.parse(canonicalSpecJson(spec)), null, 2)}\n`);
    const need = estimateResources(spec);
    say(
      `spec hash ${specHash(spec)}  run id ${runIdFor(spec)}  estimated peak memory ${bytes(need.memoryBytes)}, artifacts ${bytes(need.diskBytes)}`,
    );
  }
  return 0;
}
