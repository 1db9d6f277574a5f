import { afterEach, describe, expect, it, vi } from 'vitest';
import { spectrumCommand } from '../../src/cli/spectrum.js';
import { CliError } from '../../src/cli/errors.js';
import { parseCommand } from '../../src/cli/main.js';
import { familySpectrum, ntkSpectrum } from '../../src/math/index.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const parsed = parseCommand(['spectrum', ...argv]);
  if (!('args' in parsed)) throw new Error('expected a command');
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await spectrumCommand(parsed.args);
  vi.restoreAllMocks();
  return { code, stdout };
}

async function failure(argv: string[]): Promise<string> {
  try {
    await run(argv);
  } catch (err) {
    vi.restoreAllMocks();
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as CliError).message;
  }
  throw new Error('expected a CliError');
}

afterEach(() => vi.restoreAllMocks());

describe('specbias spectrum --depth --bias --activation', () => {
  it('prints the family spectrum as JSON, with error bounds', async () => {
    const { code, stdout } = await run([
      '--dim',
      '5',
      '--max-degree',
      '4',
      '--depth',
      '3',
      '--bias',
      '0.5',
      '--activation',
      'relu',
      '--json',
    ]);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{
      degree: number;
      mu: number;
      multiplicity: number;
      numericalZero: boolean;
      errorBound: number;
    }>;
    const expected = familySpectrum(5, 4, { depth: 3, bias: 0.5, activation: 'relu' });
    expect(rows.map((r) => r.mu)).toEqual(expected.map((e) => e.mu));
    expect(rows.map((r) => r.multiplicity)).toEqual([1, 5, 14, 30, 55]);
    expect(rows.every((r) => !r.numericalZero && r.errorBound < 1e-12 * r.mu)).toBe(true);
  });

  it('without model options it is the paper network, unchanged', async () => {
    const { stdout } = await run(['--dim', '10', '--max-degree', '6', '--json']);
    const rows = JSON.parse(stdout) as Array<{ mu: number }>;
    expect(rows.map((r) => r.mu)).toEqual(ntkSpectrum(10, 6).map((e) => e.mu));
  });

  it('bad model options get one line naming the option', async () => {
    expect(await failure(['--dim', '5', '--max-degree', '4', '--depth', '1'])).toBe(
      'spectrum: --depth must be an integer in [2, 64], got 1',
    );
    expect(await failure(['--dim', '5', '--max-degree', '4', '--bias=-1'])).toBe('spectrum: --bias must be a finite number >= 0, got -1');
    expect(await failure(['--dim', '5', '--max-degree', '4', '--bias', 'NaN'])).toBe(
      'spectrum: --bias must be a finite number >= 0, got NaN',
    );
    expect(await failure(['--dim', '5', '--max-degree', '4', '--activation', 'sigmoid'])).toBe(
      'spectrum: --activation must be one of relu, erf, tanh, gelu, got sigmoid',
    );
    expect(await failure(['--dim', '5', '--max-degree', '51', '--depth', '3'])).toBe(
      'spectrum: --max-degree must be an integer in [0, 50], got 51',
    );
  });
});
