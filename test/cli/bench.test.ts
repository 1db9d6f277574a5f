import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchCommand } from '../../src/cli/bench.js';
import { CliError } from '../../src/cli/errors.js';
import { parseCommand } from '../../src/cli/main.js';
import { blasProvenance, loadNative } from '../../src/native/index.js';
import { basename } from 'node:path';

/** Runs `specbias bench ...` in process and returns the one JSON value it prints on stdout. */
async function benchJson(argv: string[]): Promise<Record<string, unknown>> {
  const parsed = parseCommand(['bench', ...argv, '--json']);
  if ('help' in parsed) throw new Error('unexpected help');
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  expect(await parsed.command.run(parsed.args)).toBe(0);
  return JSON.parse(out) as Record<string, unknown>;
}

describe('specbias bench', () => {
  afterEach(() => vi.restoreAllMocks());

  it('bench train prints engine, msPerStep and the problem size as JSON', async () => {
    const r = await benchJson(['train', '--n', '40', '--dim', '5', '--width', '64', '--steps', '4']);
    expect(Object.keys(r)).toEqual(['engine', 'msPerStep', 'n', 'dim', 'width', 'steps', 'depth', 'bias', 'activation', 'blas']);
    expect(r.blas).toEqual(blasProvenance());
    // Without --depth/--bias/--activation: the paper's network.
    expect(r).toMatchObject({ n: 40, dim: 5, width: 64, steps: 4, depth: 2, bias: 0, activation: 'relu' });
    expect(['native', 'tfjs-wasm', 'tfjs-cpu']).toContain(r.engine);
    expect(r.msPerStep).toBeGreaterThan(0);
  });

  it('bench eigen prints the method that ran, seconds and n as JSON', async () => {
    const r = await benchJson(['eigen', '--n', '30', '--method', 'ml-matrix']);
    expect(r).toMatchObject({ method: 'ml-matrix', n: 30 });
    expect(Object.keys(r)).toEqual(['method', 'seconds', 'n', 'blas']);
  });

  it('bench eigen names the BLAS/LAPACK the addon loaded', async () => {
    const r = await benchJson(['eigen', '--n', '30']);
    const addon = loadNative();
    if (!addon?.info().lapack) {
      expect(r).toMatchObject({ method: 'ml-matrix', blas: null });
      return;
    }
    const blas = addon.info().blas!;
    expect(r.method).toBe('lapack-dsyevd');
    expect(r.blas).toEqual({
      name: blas.config?.match(/^OpenBLAS \S+/)?.[0] ?? basename(blas.library),
      library: blas.library,
      config: blas.config,
      corename: blas.corename,
      threads: blas.threads,
    });
  });

  it('bench rejects an unknown workload, engine or size with the exact message', async () => {
    const run = (argv: string[]) => {
      const parsed = parseCommand(['bench', ...argv]);
      if ('help' in parsed) throw new Error('unexpected help');
      return benchCommand(parsed.args);
    };
    await expect(run(['fit'])).rejects.toThrow(new CliError('bench: expected "train" or "eigen", got "fit"', 2));
    await expect(run(['train', '--engine', 'gpu'])).rejects.toThrow(
      'bench: --engine must be one of auto, native, tfjs-wasm, tfjs-cpu, tfjs-node, tfjs-node-gpu, got gpu',
    );
    await expect(run(['train', '--width', '0'])).rejects.toThrow('bench: --width must be an integer in [1, 10000000], got 0');
  });
});
