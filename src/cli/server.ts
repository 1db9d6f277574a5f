/**
 * `specbias server`: the embedded Temporal dev server in the foreground, Web UI included. It is
 * this data root's server: runs beside it lease it and never stop it; Ctrl-C stops it.
 */
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
  const { serverReady, ensureWritableDir } = await import('../temporal/dev-server.js');
  const { superviseDevServer, SupervisorBusyError, temporalDir } = await import('../temporal/server-supervisor.js');
  const dataRoot = dataRootFrom(values.data as string | undefined);
  const ip = (values.ip as string | undefined) ?? '127.0.0.1';
  const p = port(values.port, 'port') ?? 7233;
  const uiPort = port(values['ui-port'], 'ui-port') ?? p + 1000;
  if (await serverReady(`${ip}:${p}`, 'default', 1500)) throw new CliError(`server: a Temporal server already answers on ${ip}:${p}`);
  ensureWritableDir(temporalDir(dataRoot));
  let supervised: Awaited<ReturnType<typeof superviseDevServer>>;
  try {
    supervised = await superviseDevServer({ dataRoot, ip, port: p, uiPort, idleTimeoutS: Infinity, foreground: true, log: say });
  } catch (err) {
    if (err instanceof SupervisorBusyError) throw new CliError(`server: ${err.message}; it stops by itself once idle`);
    throw err;
  }
  const { state, done, stop } = supervised;
  say(`Temporal dev server at ${state.address}; Web UI ${state.uiUrl}; state in ${state.dbFile}. Ctrl-C to stop.`);
  say(`workers: TEMPORAL_ADDRESS=${state.address} specbias worker`);
  const onSignal = () => {
    say('stopping the Temporal dev server');
    void stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
