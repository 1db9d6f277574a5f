import { describe, expect, it } from 'vitest';
import { singleFlight } from '../../src/pipeline/single-flight.js';

describe('singleFlight', () => {
  it('runs concurrent calls with one key once, and later calls again', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs++;
      await gate;
      return runs;
    };
    const a = singleFlight('k', work);
    const b = singleFlight('k', work);
    const other = singleFlight('other', async () => 'x');
    release();
    expect(await a).toEqual({ value: 1, shared: false });
    expect(await b).toEqual({ value: 1, shared: true });
    expect(await other).toEqual({ value: 'x', shared: false });
    expect(await singleFlight('k', work)).toEqual({ value: 2, shared: false });
  });

  it('a failure reaches every waiter and is not kept', async () => {
    const fail = () => Promise.reject(new Error('boom'));
    const a = singleFlight('f', fail);
    const b = singleFlight('f', fail);
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
    expect(await singleFlight('f', async () => 1)).toEqual({ value: 1, shared: false });
  });
});
