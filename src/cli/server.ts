/** `specbias server`: the embedded Temporal dev server in the foreground, Web UI included. */
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, say } from './io.js';

function port(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const p = Number(v);
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new CliError(`server: --${name} must be a port number, got ${String(v)}`, 2);
  return p;
}

export async function serverCommand({ values }: CommandArgs): Promise<number> {
  const { startDevServer, serverReady } = await import('../temporal/dev-server.js');
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const ip = (values.ip as string | undefined) ?? '127.0.0.1';
  const p = port(values.port, 'port') ?? 7233;
  if (await serverReady(`${ip}:${p}`, 'default', 1500)) throw new CliError(`server: a Temporal server already answers on ${ip}:${p}`);
  const server = await startDevServer({ dataRoot, ip, port: p, uiPort: port(values['ui-port'], 'ui-port') ?? p + 1000, log: say });
  say(`Temporal dev server at ${server.address}; Web UI ${server.uiUrl}; state in ${dataRoot}/temporal/dev.sqlite. Ctrl-C to stop.`);
  say(`workers: TEMPORAL_ADDRESS=${server.address} specbias worker`);
  await new Promise<void>((resolve) => {
    // The server process is unref'd; this timer keeps the foreground command alive until a signal.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = () => {
      clearInterval(keepAlive);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('stopping the Temporal dev server');
  await server.stop();
  return 0;
}
