import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isSameProcess, processIdentity, stopProcess } from '../../src/temporal/process-identity.js';

// A pid names a process only together with its start time and command line (pids are reused).
const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
afterAll(() => void sleeper.kill('SIGKILL'));

describe('process identity', () => {
  it('reads the start time and command line of a live process from /proc', () => {
    const id = processIdentity(sleeper.pid!);
    expect(id).not.toBeNull();
    expect(id!.cmdline).toEqual(['sleep', '600']);
    expect(id!.startTime).toMatch(/^\d+$/);
    expect(isSameProcess(id)).toBe(true);
  });

  it('a recorded identity whose start time or command line differ is another process, and is never signalled', async () => {
    const id = processIdentity(sleeper.pid!)!;
    const reused = { ...id, startTime: String(Number(id.startTime) - 1) };
    const renamed = { ...id, cmdline: ['temporal', 'server', 'start-dev'] };
    expect(isSameProcess(reused)).toBe(false);
    expect(isSameProcess(renamed)).toBe(false);
    await stopProcess(reused, 100);
    await stopProcess(renamed, 100);
    expect(sleeper.exitCode).toBeNull();
    expect(isSameProcess(id)).toBe(true);
  });

  it('stops the very process recorded', async () => {
    const victim = spawn('sleep', ['600'], { stdio: 'ignore' });
    const exited = new Promise((r) => victim.once('exit', (code, signal) => r(signal)));
    const id = processIdentity(victim.pid!)!;
    await stopProcess(id, 5000);
    expect(await exited).toBe('SIGTERM');
    expect(isSameProcess(id)).toBe(false);
    expect(processIdentity(-1)).toBeNull();
  });
});
