/**
 * The `specbias` command: one declarative table of commands and options, one small async
 * function per command (imported lazily, so `specbias spec` never loads Temporal or tfjs), and
 * one place that turns errors into a single line on stderr and an exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';
import { invocation, optionHelp, packageVersion } from './help.js';
import { print, say } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export interface CommandArgs {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}
interface Command {
  usage: string;
  summary: string;
  options: Options;
  run: (args: CommandArgs) => Promise<number>;
}

const data = { data: { type: 'string' as const } };
const json = { json: { type: 'boolean' as const } };

export const COMMANDS: Record<string, Command> = {
  run: {
    usage: 'run SPEC [--set path=value]... [--json] [--data DIR] [--no-worker] [--allow-large] [--via-temporal]',
    summary: 'run a pipeline to completion and print the per-degree rates (starts a dev server unless TEMPORAL_ADDRESS is set)',
    options: {
      set: { type: 'string', multiple: true },
      ...json,
      ...data,
      'no-worker': { type: 'boolean' },
      'allow-large': { type: 'boolean' },
      'via-temporal': { type: 'boolean' },
    },
    // The size guard runs before run.js loads Temporal: an absurd spec is refused in well under 2 s.
    run: async (a) => {
      await (await import('./preflight.js')).preflight(a);
      return (await import('./run.js')).runCommand(a);
    },
  },
  worker: {
    usage: 'worker [--data DIR]',
    summary: 'run a worker on task queue "specbias" against TEMPORAL_ADDRESS (default localhost:7233)',
    options: { ...data },
    run: async (a) => (await import('./worker.js')).workerCommand(a),
  },
  server: {
    usage: 'server [--data DIR] [--port 7233] [--ui-port 8233] [--ip 127.0.0.1]',
    summary: 'run the embedded Temporal dev server in the foreground, Web UI included',
    options: { ...data, port: { type: 'string' }, 'ui-port': { type: 'string' }, ip: { type: 'string' } },
    run: async (a) => (await import('./server.js')).serverCommand(a),
  },
  status: {
    usage: 'status [RUN|SWEEP] [--json] [--data DIR]',
    summary: 'runs recorded in the results database, or one run (id or unique prefix) with its rates',
    options: { ...json, ...data },
    run: async (a) => (await import('./status.js')).statusCommand(a),
  },
  runs: {
    usage: 'runs [--where PREDICATE] [--sort COLUMNS] [--json|--csv] [--data DIR]',
    summary: "a table of runs: parameters, status, duration and each degree's fitted rate",
    options: { where: { type: 'string' }, sort: { type: 'string' }, ...json, csv: { type: 'boolean' }, ...data },
    run: async (a) => (await import('./runs.js')).runsCommand(a),
  },
  sql: {
    usage: 'sql ["QUERY" | -f FILE | < FILE] [--json|--csv] [--data DIR]',
    summary: "SQL on results.duckdb, read-only; several statements print the last one's rows",
    options: { ...json, csv: { type: 'boolean' }, file: { type: 'string', short: 'f' }, ...data },
    run: async (a) => (await import('./sql.js')).sqlCommand(a),
  },
  db: {
    usage: 'db rebuild [--json] [--data DIR]',
    summary: 'rebuild results.duckdb from runs/*/manifest.json and the verified artifacts, keeping the old file',
    options: { ...json, ...data },
    run: async (a) => (await import('./db.js')).dbCommand(a),
  },
  spectrum: {
    usage: 'spectrum --dim D --max-degree K [--depth L] [--bias B] [--activation relu|erf|tanh|gelu] [--learning-rate ETA] [--json]',
    summary: 'analytic NTK eigenvalues mu_k and multiplicities N(D,k)',
    options: {
      dim: { type: 'string' },
      'max-degree': { type: 'string' },
      depth: { type: 'string' },
      bias: { type: 'string' },
      activation: { type: 'string' },
      'learning-rate': { type: 'string' },
      ...json,
    },
    run: async (a) => (await import('./spectrum.js')).spectrumCommand(a),
  },
  report: {
    usage: 'report RUN|SWEEP [RUN|SWEEP...] [--out DIR] [--data DIR] [--json]',
    summary: 'report.html, figures (SVG, PNG) and report.md for a run or sweep (id or unique prefix); several ids: a comparison',
    options: { out: { type: 'string' }, ...data, ...json },
    run: async (a) => (await import('./report.js')).reportCommand(a),
  },
  spec: {
    usage: 'spec [--json] SPEC [--set path=value]... | spec --schema',
    summary:
      'validate a spec and print it canonicalized, with its hash, run id and size estimate; --schema prints the JSON Schema of specs',
    options: { ...json, set: { type: 'string', multiple: true }, schema: { type: 'boolean' } },
    run: async (a) => (await import('./spec.js')).specCommand(a),
  },
  bench: {
    usage:
      'bench train [--n N] [--dim D] [--width M] [--steps S] [--engine E] [--depth L] [--bias B] [--activation A] [--json] | bench eigen [--n N] [--method M] [--json]',
    summary: 'time one GD step (train) or one Gram eigendecomposition (eigen) on this machine',
    options: {
      n: { type: 'string' },
      dim: { type: 'string' },
      width: { type: 'string' },
      steps: { type: 'string' },
      engine: { type: 'string' },
      depth: { type: 'string' },
      bias: { type: 'string' },
      activation: { type: 'string' },
      method: { type: 'string' },
      ...json,
    },
    run: async (a) => (await import('./bench.js')).benchCommand(a),
  },
};

function help(): string {
  const cli = invocation();
  const lines = [`usage: ${cli} COMMAND [options]`, '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  lines.push(
    '',
    `Every command has --help. Output root: --data DIR or SPECBIAS_DATA (default ./data). ${cli} --version prints the version.`,
  );
  if (cli !== 'specbias')
    lines.push('specbias is not on PATH here: run it as `npx specbias ...` from the project folder (or `npm link` once).');
  return lines.join('\n');
}

/** `specbias COMMAND --help`: the usage, the summary, and every option with its description. */
export function commandHelp(name: string): string {
  const command = COMMANDS[name]!;
  const options = Object.entries(command.options).map(([opt, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${opt}${o.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(24)} ${optionHelp(name, opt) ?? ''}`;
  });
  return [`usage: ${invocation()} ${command.usage}`, '', command.summary, ...(options.length ? ['', 'options:', ...options] : [])].join(
    '\n',
  );
}

/** Arguments that start with '-' but hold a space or a line break are values (a query starting with a -- comment), not options. */
function isValue(arg: string): boolean {
  return arg.startsWith('-') && /\s/.test(arg);
}

/** Parse argv for one command; exported so tests can assert the exact error text. */
export function parseCommand(argv: string[]): { name: string; command: Command; args: CommandArgs } | { help: string } {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') return { help: help() };
  if (name === '--version' || name === '-V') return { help: `specbias ${packageVersion()}` };
  const command = COMMANDS[name];
  if (!command) throw new CliError(`unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(', ')}`, 2);
  if (rest.includes('--help') || rest.includes('-h')) return { help: commandHelp(name) };
  try {
    // Values that look like options are swapped for placeholders, parsed as positionals, and put back.
    const held = rest.filter(isValue);
    const args = rest.map((a) => (isValue(a) ? `\u0000${held.indexOf(a)}` : a));
    const { values, positionals } = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
    return {
      name,
      command,
      args: { values, positionals: positionals.map((p) => (p.startsWith('\u0000') ? held[Number(p.slice(1))]! : p)) },
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(e.message)?.[1] : undefined;
    const what = unknown ? `unknown option ${unknown}` : e.message.split('\n')[0]!.replace(/\.$/, '');
    throw new CliError(`${name}: ${what} (usage: specbias ${command.usage})`, 2);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseCommand(argv);
    if ('help' in parsed) {
      print(parsed.help);
      return 0;
    }
    return await parsed.command.run(parsed.args);
  } catch (err) {
    say(`specbias: ${oneLine(err)}`);
    if (process.env.SPECBIAS_DEBUG) console.error(err);
    return err instanceof CliError ? err.exitCode : err && typeof err === 'object' && (err as Error).name === 'SpecError' ? 2 : 1;
  }
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!;
}
