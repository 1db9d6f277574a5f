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

  it('any other member of the family is accepted for training; symmetric init and adam are refused for it', () => {
    const spec = parseSpec({ model: { width: 64, depth: 3, bias: 0.5, activation: 'erf' } });
    expect(spec.model).toMatchObject({ depth: 3, bias: 0.5, activation: 'erf' });
    const init = specError({ depth: 3, init: 'symmetric' });
    expect(init.field).toBe('model.init');
    let adam: unknown;
    try {
      parseSpec({ model: { bias: 0.5 }, training: { optimizer: 'adam' } });
    } catch (err) {
      adam = err;
    }
    expect(adam).toBeInstanceOf(SpecError);
    expect((adam as SpecError).field).toBe('training.optimizer');
    expect((adam as SpecError).message).not.toContain('\n');
  });
});
