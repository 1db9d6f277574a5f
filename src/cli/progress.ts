/**
 * Progress of a run or a sweep, for people, on stderr. On a terminal a listr2 task list: one
 * line per pipeline step with its state (waiting, running, cached, done) and elapsed time;
 * training adds steps/s and an ETA. Elsewhere (a pipe, CI) plain lines, one per change of
 * state. Everything ends before the caller prints the final summary.
 *
 * ```ts
 * const result = await followRun(() => handle.query<Progress>('progress'), handle.result());
 * ```
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { Progress, StepTiming } from '../pipeline/types.js';
import { say } from './io.js';

/** The pipeline's steps, in the order they run. */
export const STEPS = ['sample', 'spectrum', 'ntk-check', 'train', 'project', 'analyze'] as const;
const STAGE_OF: Record<string, string> = {
  sample: 'sample',
  spectrum: 'spectrum',
  'ntk-check': 'ntk-check',
  train: 'train',
  project: 'project',
  analyze: 'analyze',
};
const STAGE_ORDER = ['pending', 'prepare', 'sample', 'spectrum', 'ntk-check', 'train', 'project', 'analyze', 'completed'];
/** The stage of runs started before training followed the spectrum: all three steps at once. */
const SIDE_BY_SIDE = 'spectrum+train';
const SIDE_BY_SIDE_STEPS = ['spectrum', 'ntk-check', 'train'];
const POLL_MS = 500;

type StepState = 'waiting' | 'running' | 'cached' | 'done';

/** What one poll of the workflow tells about one step. */
export function stepState(step: string, p: Progress): { state: StepState; timing?: StepTiming } {
  const timing = p.timings?.find((t) => t.step === step);
  if (timing) return { state: timing.cached ? 'cached' : 'done', timing };
  if (p.stage === 'completed') return { state: 'done' };
  if (p.stage === SIDE_BY_SIDE) return { state: SIDE_BY_SIDE_STEPS.includes(step) ? 'running' : step === 'sample' ? 'done' : 'waiting' };
  const at = STAGE_ORDER.indexOf(p.stage);
  const mine = STAGE_ORDER.indexOf(STAGE_OF[step]!);
  return { state: at > mine ? 'done' : at === mine ? 'running' : 'waiting' };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Steps per second and the time left, from the steps done since training was first seen running. */
export function trainingRate(step: number, total: number, sinceMs: number, stepsAtStart: number): string {
  const done = step - stepsAtStart;
  if (sinceMs <= 0 || done <= 0) return `step ${step}/${total}`;
  const rate = (done * 1000) / sinceMs;
  const eta = (total - step) / rate;
  return `step ${step}/${total}  ${rate.toFixed(rate < 10 ? 1 : 0)} steps/s  ETA ${eta < 90 ? `${eta.toFixed(0)} s` : `${(eta / 60).toFixed(1)} min`}`;
}

/**
 * Follows one run until `result` settles, polling `poll` (the workflow's progress query),
 * and returns the result. The display has ended when this returns or throws.
 */
export async function followRun<T>(poll: () => Promise<Progress>, result: Promise<T>, tty = Boolean(process.stderr.isTTY)): Promise<T> {
  let latest: Progress | null = null;
  let finished = false;
  const started = new Map<string, number>();
  let trainSeen: { at: number; step: number } | null = null;
  const inFlight = new Set<Promise<void>>();
  const tick = () => {
    const t = pollOnce().finally(() => inFlight.delete(t));
    inFlight.add(t);
    return t;
  };
  const pollOnce = async () => {
    latest = await poll().catch(() => latest);
    if (!latest) return;
    for (const step of STEPS) {
      if (stepState(step, latest).state === 'running' && !started.has(step)) started.set(step, Date.now());
    }
    if (!trainSeen && stepState('train', latest).state === 'running' && latest.step > 0) trainSeen = { at: Date.now(), step: latest.step };
  };
  const describe = (step: string): { state: StepState; text: string } => {
    if (!latest) return { state: 'waiting', text: `${step.padEnd(10)} waiting` };
    const { state, timing } = stepState(step, latest);
    const since = started.get(step);
    const elapsed = timing ? seconds(timing.seconds * 1000) : since ? seconds(Date.now() - since) : '';
    let text = `${step.padEnd(10)} ${state.padEnd(8)} ${elapsed}`;
    if (step === 'train' && state === 'running' && latest.totalSteps) {
      text += `  ${trainingRate(latest.step, latest.totalSteps, trainSeen ? Date.now() - trainSeen.at : 0, trainSeen?.step ?? 0)}`;
    }
    return { state, text: text.trimEnd() };
  };
  const timer = setInterval(() => void tick(), POLL_MS);
  // No query may be left in flight: the caller closes the connection right after.
  const settled = result.finally(async () => {
    finished = true;
    clearInterval(timer);
    await Promise.all(inFlight);
    await tick();
  });
  try {
    if (!tty) {
      const shown = new Map<string, StepState>();
      const report = () => {
        for (const step of STEPS) {
          const d = describe(step);
          if (shown.get(step) !== d.state && d.state !== 'waiting')
            say(`  ${d.state === 'running' ? `${step.padEnd(10)} running` : d.text}`);
          shown.set(step, d.state);
        }
      };
      const plain = setInterval(report, POLL_MS);
      try {
        return await settled;
      } finally {
        clearInterval(plain);
        if (latest) report();
      }
    }
    const list = new Listr(
      STEPS.map((step) => ({
        title: describe(step).text,
        task: async (_ctx: unknown, task: { title: string }) => {
          for (;;) {
            const d = describe(step);
            task.title = d.text;
            if (d.state === 'done' || d.state === 'cached' || finished) return;
            await new Promise((r) => setTimeout(r, POLL_MS));
          }
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
      },
    );
    const listed = list.run();
    try {
      return await settled;
    } finally {
      await listed.catch(() => undefined);
    }
  } catch (err) {
    await settled.catch(() => undefined);
    throw err;
  }
}

/** A sweep's progress as one line, its running points named by their grid values (`width=256 seed=0`). */
export function sweepLine(p: { pointsDone: number; pointsTotal: number; running: string[] }, labels: Map<string, string>): string {
  const running = p.running.map((id) => labels.get(id) ?? labels.get(id.split('/').at(-1)!) ?? id);
  return `  points ${p.pointsDone}/${p.pointsTotal} done${running.length ? `; running ${running.join(', ')}` : ''}`;
}
