/**
 * The worker factory: a Temporal worker on task queue `specbias` with the pipeline's
 * workflows and activities bound to one data root.
 *
 *   const connection = await NativeConnection.connect({ address });
 *   const worker = await createSpecbiasWorker({ connection, dataRoot: 'data' });
 *   await worker.run();
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { ArtifactStore } from '../store/artifact-store.js';
import { TRAINING_STEP_SIGNAL } from '../pipeline/names.js';

export const TASK_QUEUE = 'specbias';

export interface WorkerOptions {
  connection: NativeConnection;
  dataRoot: string;
  namespace?: string;
  taskQueue?: string;
  /** A client for reporting training steps to workflows; optional. */
  client?: Client;
  maxConcurrentActivities?: number;
  log?: (line: string) => void;
}

/** The workflows entry: compiled JS under dist/, or the TypeScript source under vitest/tsx. */
export function workflowsPath(): string {
  for (const ext of ['.js', '.ts']) {
    const p = fileURLToPath(new URL(`../../workflows/index${ext}`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('cannot find workflows/index (.js or .ts) next to src/');
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/** Bundle the workflow code once per process; every worker reuses it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.error(m),
  error: (m: string) => console.error(m),
};

let runtimeInstalled = false;

/** Keep the SDK's chatter off the CLI's stderr: a failed step reaches the user once, as the run's one-line error. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by the host (e.g. a test harness): keep its logger.
  }
}

export async function createSpecbiasWorker(opts: WorkerOptions): Promise<Worker> {
  const log = opts.log;
  const store = await ArtifactStore.create(opts.dataRoot, log ? { logger: { warn: log } } : {});
  const client = opts.client;
  const activities = createActivities({
    dataRoot: store.root,
    store,
    log,
    reportStep: client
      ? async (workflowId, step) => {
          await client.workflow.getHandle(workflowId).signal(TRAINING_STEP_SIGNAL, step);
        }
      : undefined,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities,
    // The steps are CPU-bound math: a few at a time per process, more processes to scale out.
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 4,
    // Heartbeats carry the training checkpoint; send them often enough that a killed worker
    // loses at most a few seconds of the checkpoint trail (the default waits up to 60 s).
    maxHeartbeatThrottleInterval: '5s',
  });
}
