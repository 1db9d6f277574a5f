import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readFloat64, readInt32, readStrings, tableFromColumns, wordsColumn } from '../../src/store/arrow-columns.js';

describe('wordsColumn', () => {
  it('is the Utf8 column of the strings, row by row and in the IPC file bytes', () => {
    const words = ['train', 'test', 'µ_k', ''];
    const codes = [0, 1, 1, 2, 3, 0, 2, 2, 1];
    const strings = codes.map((c) => words[c]!);
    const built = tableFromColumns({ s: wordsColumn(words, codes), v: Int32Array.from(codes) });
    const plain = tableFromColumns({ s: strings, v: Int32Array.from(codes) });
    expect(readStrings(built, 's')).toEqual(strings);
    expect(built.schema.fields.map(String)).toEqual(plain.schema.fields.map(String));
    expect(Buffer.from(arrow.tableToIPC(built, 'file')).equals(Buffer.from(arrow.tableToIPC(plain, 'file')))).toBe(true);
    expect(wordsColumn(words, []).length).toBe(0);
    expect(() => wordsColumn(words, [4])).toThrow(RangeError);
  });
});

describe('readFloat64', () => {
  it('reads Float64 columns over several batches and at an offset, and Int32 columns, value by value', () => {
    const a = tableFromColumns({ v: Float64Array.from([1.5, -2, 3]), k: Int32Array.from([1, 2, 3]) });
    const b = tableFromColumns({ v: Float64Array.from([4, 5.25, 6, 7]), k: Int32Array.from([4, 5, 6, 7]) });
    const two = a.concat(b);
    expect(two.batches.length).toBe(2);
    expect(Array.from(readFloat64(two, 'v'))).toEqual([1.5, -2, 3, 4, 5.25, 6, 7]);
    expect(Array.from(readInt32(two, 'k'))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const sliced = two.slice(2, 5);
    expect(Array.from(readFloat64(sliced, 'v'))).toEqual([3, 4, 5.25]);
    expect(Array.from(readFloat64(sliced, 'k'))).toEqual([3, 4, 5]);
  });
});
