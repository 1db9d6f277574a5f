import { describe, expect, it } from 'vitest';
import { parseCommand, COMMANDS } from '../../src/cli/main.js';
import { CliError } from '../../src/cli/errors.js';

function cliError(argv: string[]): CliError {
  try {
    parseCommand(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error('expected a CliError');
}

describe('specbias argument parsing', () => {
  it('an unknown command names the choices and exits 2', () => {
    const err = cliError(['rnu']);
    expect(err.message).toBe(
      'unknown command "rnu"; expected one of run, worker, server, status, runs, sql, db, spectrum, report, spec, bench',
    );
    expect(err.exitCode).toBe(2);
  });

  it('an unknown option names itself and the usage', () => {
    expect(cliError(['run', 'x.yaml', '--jsno']).message).toBe(
      'run: unknown option --jsno (usage: specbias run SPEC [--set path=value]... [--json] [--data DIR] [--no-worker] [--allow-large] [--via-temporal])',
    );
  });

  it('collects repeated --set flags in order', () => {
    const parsed = parseCommand(['run', 'a.yaml', '--set', 'model.width=8', '--set', 'seed=2', '--json']);
    expect('args' in parsed && parsed.args.values.set).toEqual(['model.width=8', 'seed=2']);
    expect('args' in parsed && parsed.args.positionals).toEqual(['a.yaml']);
  });

  it('every command answers --help with its usage', () => {
    for (const name of Object.keys(COMMANDS)) {
      const parsed = parseCommand([name, '--help']);
      expect('help' in parsed && parsed.help).toMatch(new RegExp(`^usage: (npx )?specbias ${name} `));
    }
  });
});
