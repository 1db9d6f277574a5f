/**
 * Proving that a pid is still the process we recorded before signalling it. A pid is reused
 * once its process is gone, so a pid alone names nothing: we record the start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot), the command line and the boot id, and signal
 * only when all three match.
 *
 *   const id = processIdentity(child.pid);          // record it
 *   if (isSameProcess(id)) await stopProcess(id);   // later, maybe in another process
 *
 * Where /proc is missing (not Linux) nothing can be proven and nothing is signalled.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTime: string;
  cmdline: string[];
  bootId: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** The identity of a live process, or null when it is gone or cannot be read. */
export function processIdentity(pid: number): ProcessIdentity | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = rest[22 - 3];
    if (!startTime || rest[0] === 'Z') return null; // a zombie is gone in all but name
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a, i, all) => a !== '' || i < all.length - 1);
    return { pid, startTime, cmdline, bootId: bootId() };
  } catch {
    return null;
  }
}

/** True only when the pid is alive and is the very process recorded in `id`. */
export function isSameProcess(id: ProcessIdentity | null | undefined): id is ProcessIdentity {
  if (!id || !Number.isInteger(id.pid) || id.pid <= 1) return false;
  const now = processIdentity(id.pid);
  return (
    now !== null &&
    now.startTime === id.startTime &&
    now.bootId === id.bootId &&
    now.cmdline.length === id.cmdline?.length &&
    now.cmdline.every((a, i) => a === id.cmdline[i])
  );
}

/**
 * Signal the recorded process if (and only if) it is still that process. Returns false when it
 * is gone, is someone else, or refuses the signal (EPERM: not ours to stop).
 */
export function signalIfSame(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(id)) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, each only while the pid is still the recorded process. */
export async function stopProcess(id: ProcessIdentity, graceMs = 10_000): Promise<void> {
  if (!signalIfSame(id, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (isSameProcess(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!signalIfSame(id, 'SIGKILL')) return;
  const killDeadline = Date.now() + 5000;
  while (isSameProcess(id) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
}
