/**
 * The whole pipeline on data from a file, on a real Temporal dev server: a small CSV (n = 60,
 * D = 3) goes through sample, spectrum, NTK check, training, projection and analysis; the
 * projections are onto the Gram's eigenspaces (no target parts), the manifest names the file,
 * and a missing file fails the workflow at once with one line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSpecbiasWorker, TASK_QUEUE } from '../../src/temporal/worker.js';
import { withResultsDb } from '../../src/store/results-db.js';
import type { PipelineResult } from '../../src/pipeline/types.js';
import { findCachedRun } from '../../src/pipeline/cached-run.js';
import { parseSpec } from '../../src/spec/schema.js';
import { startTestServer } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
const dataRoot = mkdtempSync(join(tmpdir(), 'specbias-it-file-'));
const csvPath = join(dataRoot, 'points.csv');

const spec = (path: string) => ({
  name: 'file-it',
  seed: 1,
  data: {
    nTest: 20,
    distribution: { kind: 'file', path, columns: ['u', 'v', 'w'] },
    target: { kind: 'column', name: 'y' },
  },
  model: { width: 64 },
  training: { steps: 400, learningRate: 3, logEvery: 20, engine: 'tfjs-cpu' },
  spectrum: { maxDegree: 4 },
});

async function execute(s: unknown, workflowId: string): Promise<PipelineResult> {
  const worker = await createSpecbiasWorker({ connection: env.nativeConnection, dataRoot, client: env.client });
  return worker.runUntil(
    env.client.workflow.execute('spectralBiasPipeline', { args: [s], taskQueue: TASK_QUEUE, workflowId }),
  ) as Promise<PipelineResult>;
}

beforeAll(async () => {
  // 80 rows, D = 3: a smooth target of the direction, plus a little of the radius.
  const lines = ['u,v,w,y'];
  for (let i = 0; i < 80; i++) {
    const [u, v, w] = [Math.cos(i * 0.7) * 2, Math.sin(i * 1.3) + 0.1, ((i % 9) - 4) / 3];
    lines.push(`${u},${v},${w},${Math.tanh(u - v) + 0.3 * w}`);
  }
  writeFileSync(csvPath, lines.join('\n') + '\n');
  env = await startTestServer();
});
afterAll(async () => {
  await env?.teardown();
  rmSync(dataRoot, { recursive: true, force: true });
});

describe('spectralBiasPipeline on file data', () => {
  it('runs end to end: eigenspace projections, rates that say their basis, the file in the manifest', async () => {
    const result = await execute(spec(csvPath), 'it-file-1');
    expect(result.status).toBe('completed');
    expect(result.rates.length).toBeGreaterThan(0);
    const kind = result.rates[0]!.kind;
    expect(['eigenspace', 'eigen-band']).toContain(kind);
    // Spectral bias on real data: the top eigenspace's residual falls faster than the last one's.
    const fitted = result.rates.map((r) => r.fittedRate).filter((v): v is number => v !== null);
    expect(fitted.length).toBeGreaterThan(1);
    expect(fitted[0]!).toBeGreaterThan(fitted.at(-1)!);

    const manifest = JSON.parse(readFileSync(join(dataRoot, result.manifest), 'utf8'));
    const bytes = readFileSync(csvPath);
    expect(manifest.dataFile).toEqual({ path: csvPath, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });

    await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      const kinds = await db.query(`SELECT DISTINCT kind, split FROM projections WHERE run_id = $run_id ORDER BY ALL`, {
        run_id: result.runId,
      });
      // No target parts, no harmonics (not uniform data): the Gram's eigenspaces, on the training split.
      expect(kinds).toEqual([{ kind, split: 'train' }]);
      const rates = await db.query(
        `SELECT kind, degree, fitted_rate, theory_rate, note FROM rates WHERE run_id = $run_id ORDER BY degree`,
        {
          run_id: result.runId,
        },
      );
      expect(rates.length).toBeGreaterThan(0);
      for (const r of rates) {
        expect(r.kind).toBe(kind);
        if (kind === 'eigen-band') {
          expect(r.theory_rate).toBeNull();
          expect(r.note).toMatch(/eigenvalue index band/);
        }
      }
      const runs = await db.query(`SELECT n, n_test, dim, distribution, target FROM run_params WHERE run_id = $run_id`, {
        run_id: result.runId,
      });
      expect(runs).toEqual([{ n: null, n_test: 20, dim: 3, distribution: 'file', target: 'column' }]);
    });
  });

  it('a rerun is answered from the cache while the file is unchanged, and not once its bytes change', async () => {
    const parsed = parseSpec(spec(csvPath));
    const hit = await findCachedRun(dataRoot, parsed);
    expect('reason' in hit ? hit.reason : 'cached').toBe('cached');
    writeFileSync(csvPath, readFileSync(csvPath, 'utf8') + '1,2,3,4\n');
    const miss = await findCachedRun(dataRoot, parsed);
    expect('reason' in miss ? miss.reason : 'cached').not.toBe('cached');
  });

  it('a missing file fails the workflow at once, naming the file, without retries', async () => {
    const missing = join(dataRoot, 'nope.csv');
    const err = await execute(spec(missing), 'it-file-missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error };
    expect(cause.cause?.message ?? cause.message).toBe(`invalid spec at data.distribution.path: ${missing}: no such file`);
    const history = await env.client.workflow.getHandle('it-file-missing').fetchHistory();
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBe(1);
  });
});
