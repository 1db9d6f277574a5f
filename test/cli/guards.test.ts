import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/schema.js';
import { specJsonSchema } from '../../src/spec/reference.js';
import { estimateResources, machineLimits } from '../../src/spec/resources.js';

// The built CLI (`npm test` builds first): refusals come before any server starts, as one line with exit 2.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-cli-guards-'));
const data = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = join(dir, 'small.yaml');
writeFileSync(spec, 'name: small\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48 }\ntraining: { steps: 40, logEvery: 4 }\n');

function specbias(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args, '--data', data], { encoding: 'utf8', timeout: 60_000 });
}

/** The run was refused before anything started: exit 2, one line, no server, nothing written. */
function expectRefused(r: ReturnType<typeof specbias>, line: string | RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(existsSync(join(data, 'temporal'))).toBe(false);
}

describe('specbias run refuses what cannot run, before any server starts', () => {
  it('an array larger than the engine allows names the field, also with --allow-large', () => {
    const line =
      /^specbias: data\.n = 1000000000: the Gram matrix \(n\^2 entries\) would have 1\.00e\+18 entries, more than the .* that one array can hold here \(--allow-large cannot lift this\)$/;
    expectRefused(specbias(['run', spec, '--set', 'data.n=1000000000']), line);
    expectRefused(specbias(['run', spec, '--set', 'data.n=1000000000', '--allow-large']), line);
  });

  it('a spec that needs more memory than this machine has names the field and the estimate', () => {
    const big = parseSpec({
      name: 'small',
      data: { dim: 4, n: 60000, nTest: 20 },
      model: { width: 60000 },
      training: { steps: 40, logEvery: 4 },
    });
    const need = estimateResources(big);
    // Skipped only on a machine with more memory than this estimate (about 170 GB).
    if (need.memoryBytes <= machineLimits(data).memoryBytes) return;
    expectRefused(
      specbias(['run', spec, '--set', 'data.n=60000', '--set', 'model.width=60000']),
      /^specbias: model\.width = 60000: the run needs about \d+ GB of memory \(the hidden activations and gradients .*: 86 GB\), but this machine has \d+ GB; pass --allow-large to run anyway$/,
    );
  });

  it('an alias bomb gets exit 2 and names the file', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const bomb = join(dir, 'bomb.yaml');
    writeFileSync(bomb, `${levels.join('\n')}\n`);
    expectRefused(
      specbias(['run', bomb]),
      `specbias: ${bomb}: invalid spec: refused: YAML aliases expand to too much data (more than 100 alias uses); write the values out`,
    );
  });

  it('--set __proto__ is refused in one line', () => {
    expectRefused(
      specbias(['run', spec, '--set', '__proto__.x=1']),
      'specbias: invalid spec at __proto__.x: --set path uses "__proto__", which names no spec field',
    );
  });
});

describe('specbias spec', () => {
  it('--schema prints the JSON Schema generated from the zod schema', () => {
    const r = spawnSync(process.execPath, [bin, 'spec', '--schema'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(specJsonSchema());
  });

  it('prints the size estimate beside the run id', () => {
    const r = spawnSync(process.execPath, [bin, 'spec', spec], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run id small-[0-9a-f]{12} {2}estimated peak memory \d+(\.\d)? (kB|MB), artifacts \d+(\.\d)? (kB|MB)/);
  });
});
