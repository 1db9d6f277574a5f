/**
 * Which training steps are logged. 'uniform': step 0, every `logEvery` steps and the last step.
 * 'geometric' (what pipelines use): the uniform steps merged with the geometric grid
 * floor(1.25^k) up to 4 logEvery, where its spacing reaches logEvery. A first-passage fit window
 * of a curve decaying like e^(-lambda t) from its peak spans steps [0.1/lambda, 4.6/lambda], a
 * factor of ~45, so the grid puts about ln 45 / ln 1.25 ≈ 17 points into it however fast the
 * decay is, and the uniform logs take over where windows are long (degree 1 at paper size falls
 * 100x in ~30 steps; with logEvery 10 alone it got 3 points).
 *
 *   isLogStep(7, 10, 'geometric');    // true: floor(1.25^9) = 7
 *   nextLogStep(40, 10, 'geometric'); // 50
 */
export type LogSchedule = 'uniform' | 'geometric';

/** The geometric grid's ratio, and how far it runs in units of logEvery. */
const RATIO = 1.25;
const GEOMETRIC_SPAN = 4;

/** The geometric log steps below or at GEOMETRIC_SPAN * logEvery, ascending, 0 included. */
export function geometricLogSteps(logEvery: number): number[] {
  const end = GEOMETRIC_SPAN * logEvery;
  const out = [0];
  for (let k = 0; ; k++) {
    const s = Math.floor(RATIO ** k);
    if (s > end) break;
    if (s !== out[out.length - 1]) out.push(s);
  }
  return out;
}

/** True when the step (counted from the start of training) is logged; the final step always is. */
export function isLogStep(step: number, logEvery: number, schedule: LogSchedule = 'uniform'): boolean {
  if (step % logEvery === 0) return true;
  return schedule === 'geometric' && step < GEOMETRIC_SPAN * logEvery && geometricLogSteps(logEvery).includes(step);
}

/** The first logged step after `step` (not capped at the last step of training). */
export function nextLogStep(step: number, logEvery: number, schedule: LogSchedule = 'uniform'): number {
  const uniform = (Math.floor(step / logEvery) + 1) * logEvery;
  if (schedule !== 'geometric') return uniform;
  const g = geometricLogSteps(logEvery).find((s) => s > step);
  return g === undefined ? uniform : Math.min(g, uniform);
}

/** Every logged step of a run of `steps` steps, ascending. */
export function logSteps(steps: number, logEvery: number, schedule: LogSchedule = 'uniform'): number[] {
  const out: number[] = [];
  for (let s = 0; s < steps; s = nextLogStep(s, logEvery, schedule)) out.push(s);
  out.push(steps);
  return out;
}
