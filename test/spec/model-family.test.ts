import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../src/spec/schema.js';
import { specHash } from '../../src/spec/hash.js';

function specError(model: Record<string, unknown>): SpecError {
  try {
    parseSpec({ model });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('model.depth, model.bias, model.activation', () => {
  it('bad values get one line naming the field', () => {
    expect(specError({ depth: 1 }).message).toBe('invalid spec at model.depth: must be >= 2, got 1');
    expect(specError({ depth: 2.5 }).field).toBe('model.depth');
    expect(specError({ bias: -0.5 }).message).toBe('invalid spec at model.bias: must be >= 0, got -0.5');
    expect(specError({ bias: NaN }).field).toBe('model.bias');
    expect(specError({ bias: 'big' }).field).toBe('model.bias');
    expect(specError({ activation: 'sigmoid' }).message).toBe(
      'invalid spec at model.activation: expected one of "relu" | "erf" | "tanh" | "gelu", got "sigmoid"',
    );
    for (const model of [{ depth: 1 }, { bias: -1 }, { activation: 'x' }]) expect(specError(model).message).not.toContain('\n');
  });

  it('the defaults, written or not, are the paper network with the same hash as before the fields existed', () => {
    const absent = parseSpec({ model: { width: 64 } });
    const explicit = parseSpec({ model: { width: 64, depth: 2, bias: 0, activation: 'relu' } });
    expect(explicit.model).toEqual(absent.model);
    expect(specHash(explicit)).toBe(specHash(absent));
    expect(Object.keys(absent.model).sort()).toEqual(['theta', 'width']);
  });

  it('any other member of the family is refused until the engines train it, pointing at the spectrum', () => {
    for (const [model, field] of [
      [{ depth: 3 }, 'model.depth'],
      [{ bias: 0.5 }, 'model.bias'],
      [{ activation: 'erf' }, 'model.activation'],
    ] as const) {
      const err = specError(model);
      expect(err.field).toBe(field);
      expect(err.message).toContain('is not trained yet');
      expect(err.message).toContain('specbias spectrum');
      expect(err.message).not.toContain('\n');
    }
  });
});
