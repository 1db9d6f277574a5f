/** `specbias worker`: a long-running worker on task queue "specbias" for TEMPORAL_ADDRESS. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { serverReady } from '../temporal/dev-server.js';
import { TemporalUnreachableError } from '../temporal/session.js';
import { createSpecbiasWorker, quietRuntime, TASK_QUEUE } from '../temporal/worker.js';
import type { CommandArgs } from './main.js';
import { dataRootFrom, say } from './io.js';

export async function workerCommand({ values }: CommandArgs): Promise<number> {
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const dataRoot = dataRootFrom(values.data as string | undefined);
  if (!(await serverReady(address, namespace, 5000))) throw new TemporalUnreachableError(address);
  quietRuntime();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const worker = await createSpecbiasWorker({
    connection: native,
    namespace,
    dataRoot,
    client: new Client({ connection, namespace }),
    log: say,
  });
  // Worker.run installs its own SIGINT/SIGTERM handlers and drains before returning.
  say(`specbias worker on ${address}, namespace ${namespace}, task queue ${TASK_QUEUE}, data ${dataRoot} (Ctrl-C to stop)`);
  await worker.run();
  await native.close();
  await connection.close();
  say('specbias worker stopped');
  return 0;
}
