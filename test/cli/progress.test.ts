import { describe, expect, it, vi } from 'vitest';
import { followRun, stepState, sweepLine, trainingRate } from '../../src/cli/progress.js';
import type { Progress } from '../../src/pipeline/types.js';

const base: Progress = { runId: 'r', stage: 'sample', step: 0, totalSteps: 600, pointsDone: 0, pointsTotal: 1, timings: [] };

describe('progress', () => {
  it('a step is waiting before its stage, running in it, and done or cached once it has a timing', () => {
    expect(stepState('train', base).state).toBe('waiting');
    expect(stepState('sample', base).state).toBe('running');
    // Runs started before training followed the spectrum: all three at once.
    const training: Progress = {
      ...base,
      stage: 'spectrum+train',
      timings: [
        { step: 'sample', seconds: 0.2, cached: true },
        { step: 'spectrum', seconds: 1, cached: false },
      ],
    };
    expect(stepState('sample', training)).toEqual({ state: 'cached', timing: { step: 'sample', seconds: 0.2, cached: true } });
    expect(stepState('spectrum', training).state).toBe('done');
    expect(stepState('ntk-check', training).state).toBe('running');
    expect(stepState('train', training).state).toBe('running');
    expect(stepState('project', training).state).toBe('waiting');
    expect(stepState('analyze', { ...base, stage: 'completed' }).state).toBe('done');
    // Today's order: spectrum, ntk-check, train, one at a time.
    const analysing: Progress = { ...base, stage: 'spectrum', timings: [{ step: 'sample', seconds: 0.2, cached: false }] };
    expect(['sample', 'spectrum', 'ntk-check', 'train'].map((step) => stepState(step, analysing).state)).toEqual([
      'done',
      'running',
      'waiting',
      'waiting',
    ]);
    const afterSpectrum: Progress = { ...analysing, stage: 'train' };
    expect(['spectrum', 'ntk-check', 'train', 'project'].map((step) => stepState(step, afterSpectrum).state)).toEqual([
      'done',
      'done',
      'running',
      'waiting',
    ]);
  });

  it('steps/s and ETA come from the steps done since training was first seen', () => {
    // 200 steps in 10 s: 20 steps/s; 300 steps left: 15 s.
    expect(trainingRate(300, 600, 10_000, 100)).toBe('step 300/600  20 steps/s  ETA 15 s');
    expect(trainingRate(100, 6000, 10_000, 50)).toBe('step 100/6000  5.0 steps/s  ETA 19.7 min');
    expect(trainingRate(0, 600, 0, 0)).toBe('step 0/600');
  });

  it('sweep points are named by their grid values', () => {
    const labels = new Map([
      ['q-1', 'width=256 seed=0'],
      ['q-2', 'width=1024 seed=0'],
    ]);
    expect(sweepLine({ pointsDone: 1, pointsTotal: 3, running: ['q-2'] }, labels)).toBe('  points 1/3 done; running width=1024 seed=0');
  });

  it('without a terminal it prints one plain line per change of state, all before it returns', async () => {
    const polls: Progress[] = [
      { ...base, stage: 'sample' },
      { ...base, stage: 'spectrum+train', step: 100, timings: [{ step: 'sample', seconds: 0.5, cached: true }] },
      {
        ...base,
        stage: 'completed',
        step: 600,
        timings: ['sample', 'spectrum', 'ntk-check', 'train', 'project'].map((step) => ({ step, seconds: 0.5, cached: step === 'sample' })),
      },
    ];
    let i = 0;
    let resolve!: (v: string) => void;
    const result = new Promise<string>((r) => (resolve = r));
    const lines: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const poll = async () => {
        const p = polls[Math.min(i++, polls.length - 1)]!;
        if (p.stage === 'completed') resolve('ok');
        return p;
      };
      expect(await followRun(poll, result, false)).toBe('ok');
    } finally {
      write.mockRestore();
    }
    const text = lines.join('');
    expect(text).toMatch(/sample +cached +0\.5 s/);
    expect(text).toMatch(/train +done +0\.5 s/);
    expect(text).toMatch(/analyze +done/);
    // One line per step and state: sample cached once, however many polls saw it.
    expect(text.match(/sample +cached/g)).toHaveLength(1);
  });
});
