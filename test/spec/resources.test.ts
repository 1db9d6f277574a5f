import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/schema.js';
import { bytes, estimateResources, estimateRun, machineLimits, refusal, type MachineLimits } from '../../src/spec/resources.js';

const machine: MachineLimits = { memoryBytes: 16e9, freeDiskBytes: 100e9, maxArrayElements: 2 ** 32 };

describe('estimateRun', () => {
  it('adds up the pipeline shapes by hand for a small spec', () => {
    const spec = parseSpec({
      data: { dim: 4, n: 100, nTest: 50 },
      model: { width: 64 },
      training: { steps: 100, logEvery: 10 },
      spectrum: { maxDegree: 4 },
    });
    const e = estimateRun(spec);
    const rows = (100 / 10 + 2) * 150;
    // spectrum || ntk check || training: Gram (3 n^2), activations (3 (n+nTest) m), weights (4 m (D+1)), NTK Jacobian (min(n,300) m (D+1)), trajectory (36 a row)
    const parallel = 8 * (3 * 100 * 100 + 3 * 150 * 64 + 4 * 64 * 5 + 100 * 64 * 5) + 36 * rows;
    const projection = 44 * rows + 8 * (100 * 100 + 50 * 100);
    expect(e.memoryBytes).toBe(Math.max(parallel, projection));
    const disk = 8 * (100 * 100 + 200) + 2 * 25 * rows + 10 * 8 * 64 * 5 + 150 * (8 * (4 + 2 + 5) + 16) + 12 * 5 * 480;
    expect(e.diskBytes).toBe(disk);
  });

  it('the Gram matrix is the largest part at n = 30000 and names data.n', () => {
    const e = estimateRun(parseSpec({ data: { n: 30000 }, training: { steps: 100 } }));
    expect(e.memoryPart.field).toBe('data.n = 30000');
    expect(e.memoryPart.bytes).toBe(3 * 8 * 30000 ** 2);
    expect(estimateRun(parseSpec({ data: { n: 30000 }, training: { steps: 100 }, spectrum: { gram: false } })).memoryPart.field).toBe(
      'model.width = 4096',
    );
  });

  it('a sweep counts its concurrent points for memory and all points for disk', () => {
    const one = estimateRun(parseSpec({ name: 's', model: { width: 256 }, training: { steps: 100 } }));
    const sweep = estimateResources(
      parseSpec({ name: 's', model: { width: 256 }, training: { steps: 100 }, sweep: { grid: { seed: [0, 1, 2] }, concurrency: 2 } }),
    );
    expect(sweep.memoryBytes).toBe(2 * one.memoryBytes);
    expect(sweep.diskBytes).toBe(3 * one.diskBytes);
  });
});

describe('refusal', () => {
  it('refuses what does not fit in memory with the field and the estimate, and --allow-large lifts it', () => {
    const need = estimateResources(parseSpec({ data: { n: 40000 } }));
    const why = refusal(need, machine);
    expect(why).toMatch(
      /^data\.n = 40000: the run needs about \d+ GB of memory \(the Gram matrix, its eigenvectors and the solver copy \(3 n\^2 doubles\): 38 GB\), but this machine has 16 GB; pass --allow-large to run anyway$/,
    );
    expect(refusal(need, machine, true)).toBeNull();
    expect(refusal(need, { ...machine, memoryBytes: 1e12 })).toBeNull();
  });

  it('names model.width for a huge network and the log interval for a huge trajectory', () => {
    expect(refusal(estimateResources(parseSpec({ model: { width: 1e6 } })), machine)).toMatch(/^model\.width = 1000000: .* activations/);
    const long = refusal(estimateResources(parseSpec({ data: { n: 100, nTest: 0 }, training: { steps: 2e9, logEvery: 1 } })), machine);
    expect(long).toMatch(/^training\.steps \/ training\.logEvery = 2000000000 \/ 1: /);
  });

  it('refuses an array the engine cannot allocate even with --allow-large (n = 100000: an 80 GB Gram matrix)', () => {
    const need = estimateResources(parseSpec({ data: { n: 100000 } }));
    const why =
      'data.n = 100000: the Gram matrix (n^2 entries) would have 1.00e+10 entries, more than the 4.29e+9 that one array can hold here (--allow-large cannot lift this)';
    expect(refusal(need, machine)).toBe(why);
    expect(refusal(need, machine, true)).toBe(why);
  });

  it('refuses artifacts larger than the free disk', () => {
    const need = estimateResources(parseSpec({ data: { n: 2000 } }));
    expect(refusal(need, { ...machine, freeDiskBytes: 1e6 })).toMatch(
      /^training\.steps \/ training\.logEvery = 20000 \/ 10: the artifacts need about \d+ MB of disk .*, but the data root has 1.0 MB free; pass --allow-large/,
    );
    expect(refusal(need, { ...machine, freeDiskBytes: null })).toBeNull();
  });

  it('the default spec fits this machine, and the machine is read from the OS', () => {
    const here = machineLimits('/nonexistent/data/root');
    expect(here.memoryBytes).toBeGreaterThan(0);
    expect(here.freeDiskBytes).toBeGreaterThan(0);
    expect(refusal(estimateResources(parseSpec({})), here)).toBeNull();
    expect(bytes(999)).toBe('999 bytes');
    expect(bytes(80e9)).toBe('80 GB');
    expect(bytes(8e24)).toBe('8.0e+24 bytes');
  });
});

describe('the model family in the estimate', () => {
  it('counts the (L - 2) hidden m x m layers and one set of activations per hidden layer', () => {
    const base = { data: { n: 100, nTest: 50, dim: 5 }, training: { steps: 100, logEvery: 10 }, spectrum: { gram: false } };
    const paper = estimateRun(parseSpec({ ...base, model: { width: 64 } }));
    const deep = estimateRun(parseSpec({ ...base, model: { width: 64, depth: 4, bias: 0.5 } }));
    const pDeep = 64 * 6 + 2 * 64 * 65 + 65;
    // Weights: 4 P doubles in memory, ten checkpoints of P doubles on disk; activations 3 (L - 1) (n + nTest) m doubles.
    const memory = (p: number, hidden: number) => 8 * 4 * p + 8 * 3 * hidden * 150 * 64;
    expect(deep.memoryBytes - paper.memoryBytes).toBe(memory(pDeep, 3) - memory(64 * 6, 1));
    expect(deep.diskBytes - paper.diskBytes).toBe(10 * 8 * (pDeep - 64 * 6));
  });
});
