import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createSpecbiasWorker, TASK_QUEUE, workflowBundle } from '../../src/temporal/worker.js';
import { PIPELINE_WORKFLOW, SWEEP_WORKFLOW } from '../../src/pipeline/names.js';
import { startTestServer } from '../helpers/temporal.js';

// Workflow code must replay the histories it wrote: a change that reorders or renames its
// commands would break every run in flight when a worker is upgraded. Histories recorded from
// real runs on the dev server are replayed against the current workflow code.
const tiny = {
  name: 'replay',
  seed: 4,
  data: { dim: 4, n: 24, nTest: 8 },
  model: { width: 32 },
  training: { steps: 20, learningRate: 2, logEvery: 5, engine: 'tfjs-cpu' },
  spectrum: { maxDegree: 4 },
};
const fixture = join(process.cwd(), 'test', 'fixtures', 'pipeline-history.json');

let env: TestWorkflowEnvironment;
const dataRoot = mkdtempSync(join(tmpdir(), 'specbias-replay-'));

beforeAll(async () => {
  env = await startTestServer();
});
afterAll(async () => {
  await env?.teardown();
  rmSync(dataRoot, { recursive: true, force: true });
});

describe('workflow replay', () => {
  it('a pipeline and a sweep recorded on the dev server replay against the current workflow code', async () => {
    const worker = await createSpecbiasWorker({ connection: env.nativeConnection, dataRoot, client: env.client });
    const sweep = { ...tiny, name: 'replay-sweep', sweep: { grid: { seed: [1, 2] }, concurrency: 2 } };
    await worker.runUntil(async () => {
      await env.client.workflow.execute(PIPELINE_WORKFLOW, { args: [tiny], taskQueue: TASK_QUEUE, workflowId: 'replay-pipeline' });
      await env.client.workflow.execute(SWEEP_WORKFLOW, { args: [sweep], taskQueue: TASK_QUEUE, workflowId: 'replay-sweep' });
    });
    const bundle = await workflowBundle();
    const ids = ['replay-pipeline', 'replay-sweep'];
    for await (const w of env.client.workflow.list({ query: `WorkflowId STARTS_WITH "replay-sweep-"` })) ids.push(w.workflowId);
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      expect(history.events!.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, id);
    }
    // Rewrite the committed history with SPECBIAS_RECORD_HISTORY=1 when the workflow changes on purpose.
    if (process.env.SPECBIAS_RECORD_HISTORY === '1') {
      const history = await env.client.workflow.getHandle('replay-pipeline').fetchHistory();
      writeFileSync(fixture, JSON.stringify(history)); // the proto3 JSON that historyFromJSON reads
    }
  });

  it('the committed pipeline history replays, and a workflow that issues other commands does not', async () => {
    // The file is the message's own JSON (toJSON), which fromObject reads back.
    const json = JSON.parse(readFileSync(fixture, 'utf8'));
    const history = temporal.api.history.v1.History.fromObject(json);
    expect(history.events.length).toBeGreaterThan(10);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'replay-pipeline');
    // The check can fail: the same history against the sweep workflow is a non-determinism error.
    json.events[0].workflowExecutionStartedEventAttributes.workflowType.name = SWEEP_WORKFLOW;
    const asSweep = temporal.api.history.v1.History.fromObject(json);
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, asSweep, 'replay-pipeline')).rejects.toThrow(
      /determinism/i,
    );
  });
});
