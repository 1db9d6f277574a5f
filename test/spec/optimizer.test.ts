import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../src/spec/schema.js';
import { projectionTwins, trainKey } from '../../src/pipeline/cache-keys.js';

const fails = (training: Record<string, unknown>, data: Record<string, unknown> = {}, model: Record<string, unknown> = {}) => {
  try {
    parseSpec({ training, data, model });
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).message;
  }
  throw new Error('expected a SpecError');
};

describe('training.optimizer', () => {
  it('defaults to gd, stored as absent so gd specs keep their hash', () => {
    expect(parseSpec({}).training.optimizer).toBeUndefined();
    expect(parseSpec({ training: { optimizer: 'gd' } })).toEqual(parseSpec({}));
    const spec = parseSpec({ training: { optimizer: 'adam', beta1: 0.5, eps: 1e-6, batchSize: 100 } });
    expect(spec.training).toMatchObject({ optimizer: 'adam', beta1: 0.5, eps: 1e-6, batchSize: 100 });
  });

  it('refuses bad values and fields of another optimizer, naming the field in one line', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ optimizer: 'sgd', batchSize: 0 }, /training\.batchSize/],
      [{ optimizer: 'sgd', batchSize: 1001 }, /training\.batchSize: must be <= data\.n = 1000, got 1001/],
      [{ optimizer: 'sgd', momentum: 1 }, /training\.momentum/],
      [{ optimizer: 'sgd', momentum: -0.1 }, /training\.momentum/],
      [{ optimizer: 'adam', beta1: 1 }, /training\.beta1/],
      [{ optimizer: 'adam', beta2: -1 }, /training\.beta2/],
      [{ optimizer: 'adam', eps: 0 }, /training\.eps/],
      [{ batchSize: 10 }, /training\.batchSize: applies to training\.optimizer sgd or adam only, not gd/],
      [{ optimizer: 'adam', momentum: 0.9 }, /training\.momentum: applies to training\.optimizer sgd only, not adam/],
      [{ optimizer: 'sgd', beta1: 0.9 }, /training\.beta1: applies to training\.optimizer adam only, not sgd/],
      [{ optimizer: 'rmsprop' }, /training\.optimizer/],
    ];
    for (const [training, re] of cases) {
      const msg = fails(training);
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    }
    expect(fails({ optimizer: 'sgd', batchSize: 300 }, { n: 200 })).toMatch(/data\.n = 200/);
  });

  it('takes sgd and adam on the tfjs engines for the paper network, and refuses sgd there for the model family', () => {
    for (const engine of ['tfjs-wasm', 'tfjs-cpu', 'tfjs-node'])
      for (const training of [{ optimizer: 'sgd', batchSize: 10, momentum: 0.9 }, { optimizer: 'adam' }])
        expect(parseSpec({ training: { ...training, engine } }).training).toMatchObject({ ...training, engine });
    const family = { depth: 3 };
    const msg = fails({ optimizer: 'sgd', engine: 'tfjs-wasm' }, {}, family);
    expect(msg).toMatch(/training\.optimizer: sgd needs the native engine for the model family .*got engine tfjs-wasm$/);
    expect(msg).not.toContain('\n');
    expect(parseSpec({ model: family, training: { optimizer: 'sgd', engine: 'native' } }).training.optimizer).toBe('sgd');
  });

  it('keys training on the optimizer fields, and drops the twins where none is defined', () => {
    const ref = { path: 'x', sha256: '0'.repeat(64), bytes: 1, rows: 1 } as never;
    const gd = parseSpec({});
    const sgd = parseSpec({ training: { optimizer: 'sgd', batchSize: 64 } });
    const sgd2 = parseSpec({ training: { optimizer: 'sgd', batchSize: 32 } });
    const keys = new Set([gd, sgd, sgd2, parseSpec({ training: { optimizer: 'adam' } })].map((s) => trainKey(s, ref, 'native/avx2')));
    expect(keys.size).toBe(4);
    expect(projectionTwins(sgd)).toEqual(['infinite', 'init']);
    expect(projectionTwins(parseSpec({ training: { optimizer: 'adam' } }))).toEqual([]);
    expect(projectionTwins(parseSpec({ training: { optimizer: 'sgd', momentum: 0.9 } }))).toEqual([]);
  });
});
