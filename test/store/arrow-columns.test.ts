import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readStrings, tableFromColumns, wordsColumn } from '../../src/store/arrow-columns.js';

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
