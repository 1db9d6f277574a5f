/**
 * Entry point of a detached supervisor process (spawned by `acquireDevServer`): one JSON
 * argument with the SupervisorOptions. It exits when its server stops.
 */
import { superviseDevServer, SupervisorBusyError, type SupervisorOptions } from './server-supervisor.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as SupervisorOptions;
const say = (line: string) => void process.stderr.write(`${new Date().toISOString()} supervisor: ${line}\n`);
try {
  const { done, stop } = await superviseDevServer({ ...opts, log: say });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => void stop());
  await done;
  process.exit(0);
} catch (err) {
  // Another supervisor won the race for this data root: its clients are served; nothing to do.
  if (err instanceof SupervisorBusyError) process.exit(0);
  say((err as Error).message);
  process.exit(1);
}
