import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultsDb, ResultsLockedError, withResultsDb } from '../../src/store/index.js';
import { useTempDir } from './temp-dir.js';

// A writer in another process: opens the database read-write, says 'holding', sleeps, closes, says 'closed'.
const HOLDER = `
import { DuckDBInstance } from '@duckdb/node-api';
const [file, holdMs] = process.argv.slice(1);
const instance = await DuckDBInstance.create(file);
const connection = await instance.connect();
await connection.run("INSERT INTO runs (run_id, name) VALUES ('from-child', 'child')");
console.log('holding');
await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
connection.closeSync();
instance.closeSync();
console.log('closed');
`;

// Tries to open the database read-write once and reports what happened.
const PROBE = `
import { DuckDBInstance } from '@duckdb/node-api';
try {
  const instance = await DuckDBInstance.create(process.argv[1]);
  instance.closeSync();
  console.log('opened');
} catch (err) {
  console.log(String(err.message).includes('Could not set lock on file') ? 'locked' : 'error: ' + err.message);
}
`;

function node(script: string, args: string[]): ChildProcess {
  // cwd = repo root, so the inline module resolves @duckdb/node-api from node_modules.
  return spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing ${line}: ${out}${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function probe(file: string): Promise<string> {
  const child = node(PROBE, [file]);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await exited(child);
  return out.trim();
}

describe('results database locking across processes', () => {
  const tmp = useTempDir();
  const dbPath = () => path.join(tmp(), 'results.duckdb');

  it('a read-only open waits while another process writes, then succeeds once it closes', async () => {
    await withResultsDb(dbPath(), {}, async () => undefined); // create the schema
    const child = node(HOLDER, [dbPath(), '1500']);
    try {
      await waitForLine(child, 'holding');
      const started = Date.now();
      await withResultsDb(dbPath(), { readOnly: true, lockTimeoutMs: 20_000 }, async (db) => {
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThan(500);
        expect(child.exitCode ?? (await exited(child))).toBe(0);
        expect(await db.query('SELECT run_id, name FROM runs')).toEqual([{ run_id: 'from-child', name: 'child' }]);
      });
    } finally {
      child.kill();
    }
  });

  it('a read-write open waits for the other writer too', async () => {
    await withResultsDb(dbPath(), {}, async () => undefined);
    const child = node(HOLDER, [dbPath(), '1000']);
    try {
      await waitForLine(child, 'holding');
      await withResultsDb(dbPath(), { lockTimeoutMs: 20_000 }, async (db) => {
        expect(await db.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 1 }]);
      });
    } finally {
      child.kill();
    }
  });

  it('ResultsLockedError names the file and the holder when the lock outlasts lockTimeoutMs', async () => {
    await withResultsDb(dbPath(), {}, async () => undefined);
    const child = node(HOLDER, [dbPath(), '4000']);
    try {
      await waitForLine(child, 'holding');
      const started = Date.now();
      const error = await ResultsDb.open(dbPath(), { readOnly: true, lockTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(ResultsLockedError);
      const locked = error as ResultsLockedError;
      expect(locked.path).toContain('results.duckdb');
      expect(locked.waitedMs).toBeGreaterThanOrEqual(300);
      expect(locked.holder).toMatch(new RegExp(`^another process \\(.+, PID ${child.pid}\\)$`));
      expect(locked.message).toMatch(
        /^results database .*results\.duckdb is locked by another process \(.*PID \d+\); waited 0\.\d s\. DuckDB allows one writer/,
      );
    } finally {
      child.kill();
      await exited(child);
    }
  });

  it('closing one of two handles in this process keeps the file locked against other processes', async () => {
    const writer = await ResultsDb.open(dbPath());
    try {
      const reader = await ResultsDb.open(dbPath(), { readOnly: true });
      reader.closeSync();
      // Two DuckDB instances would share one fcntl lock, and closing either would drop it.
      expect(await probe(dbPath())).toBe('locked');
    } finally {
      writer.closeSync();
    }
    expect(await probe(dbPath())).toBe('opened');
  });
});
