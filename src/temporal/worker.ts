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
import type { Client } from '@temporalio/client';
import {
  DefaultLogger,
  type NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { ArtifactStore } from '../store/artifact-store.js';
import { TRAINING_STEP_SIGNAL } from '../pipeline/names.js';

import { TASK_QUEUE } from './task-queue.js';

export { TASK_QUEUE };

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

let bundle: Promise<WorkflowBundleOption> | null = null;

/**
 * The workflow bundle: the one `npm run build` wrote (dist/workflow-bundle.js, when it is current),
 * or one bundled now, once per process, when it is missing or stale (vitest, a source checkout).
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= (async () => {
    const { currentBundlePath, bundleWorkflows } = await import('./workflow-bundle.js');
    const codePath = currentBundlePath(workflowsPath());
    return codePath ? { codePath } : bundleWorkflows(workflowsPath());
  })();
  return bundle;
}

let runtimeInstalled = false;

/** Keep the SDK's chatter off the CLI's stderr: a failed step reaches the user once, as the run's one-line error. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Native (Rust) logs are forwarded to this logger, which writes to stderr: never to stdout,
    // where `--json` output goes.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
    });
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
