import { describe, it, expect } from 'vitest';
import { geometricLogSteps, isLogStep, logSteps, nextLogStep } from '../../src/model/log-schedule.js';
import { trainNetwork, type EngineName, type TrainLog } from '../../src/model/index.js';
import { loadNative } from '../../src/native/index.js';
import { trainingProblem } from './fixtures.js';

describe('log schedule', () => {
  it('the geometric grid is floor(1.25^k) up to 4 logEvery, distinct, from 0', () => {
    const want = [0];
    for (let k = 0; Math.floor(1.25 ** k) <= 40; k++) if (Math.floor(1.25 ** k) !== want[want.length - 1]) want.push(Math.floor(1.25 ** k));
    expect(geometricLogSteps(10)).toEqual(want);
    expect(want.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 7, 9]);
  });

  it('merges the grid with the uniform steps; uniform alone is every logEvery and the last step', () => {
    expect(logSteps(25, 10, 'uniform')).toEqual([0, 10, 20, 25]);
    const g = logSteps(100, 10, 'geometric');
    expect(g).toEqual([...new Set([...geometricLogSteps(10), 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])].sort((a, b) => a - b));
    for (let s = 0; s <= 100; s++) expect(isLogStep(s, 10, 'geometric') || s === 100).toBe(g.includes(s));
    expect(nextLogStep(40, 10, 'geometric')).toBe(50);
    expect(nextLogStep(10, 10, 'geometric')).toBe(11);
  });

  it('puts at least 8 points into every first-passage window of a pure exponential decay that spans 8 steps or more (lambda 0.5 to 1e-4)', () => {
    for (const logEvery of [1, 2, 5, 10, 20]) {
      for (let lambda = 0.5; lambda >= 1e-4; lambda /= 1.3) {
        // value e^(-lambda t): below 0.9 from t > ln(1/0.9)/lambda, below 1e-2 from t > ln(100)/lambda.
        const steps = logSteps(Math.ceil(10 / lambda), logEvery, 'geometric');
        const start = steps.find((s) => Math.exp(-lambda * s) < 0.9)!;
        const end = steps.find((s) => Math.exp(-lambda * s) < 1e-2)!;
        const inWindow = steps.filter((s) => s >= start && s <= end).length;
        if (inWindow < 8) throw new Error(`logEvery ${logEvery}, lambda ${lambda}: ${inWindow} points`);
      }
    }
  });
});

describe('engines follow the geometric schedule in global steps', () => {
  const engines: EngineName[] = loadNative() ? ['native', 'tfjs-cpu'] : ['tfjs-cpu'];
  for (const engine of engines) {
    it(`${engine}: one run, and the same run in two chunks, log the merged schedule`, async () => {
      const base = trainingProblem(engine, { nTrain: 10, nTest: 2, dim: 3, width: 8, steps: 30, logEvery: 4, logSchedule: 'geometric' });
      const collect = async (over: object) => {
        const logs: TrainLog[] = [];
        const result = await trainNetwork({ ...base, ...over }, { onLog: (l) => void logs.push(l) });
        return { steps: logs.map((l) => l.step), result };
      };
      const whole = await collect({});
      expect(whole.steps).toEqual(logSteps(30, 4, 'geometric'));
      const first = await collect({ steps: 8 });
      const rest = await collect({ steps: 22, firstStep: 8, initial: first.result.final });
      expect([...first.steps, ...rest.steps.slice(1).map((s) => s + 8)]).toEqual(whole.steps);
    });
  }
});
