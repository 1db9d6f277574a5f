/**
 * The names clients and workers use to reach a running workflow: its types, query and signal.
 * Plain constants, so the workflow sandbox, the worker and the CLI share one spelling.
 */

export const PIPELINE_WORKFLOW = 'spectralBiasPipeline';
export const SWEEP_WORKFLOW = 'spectralBiasSweep';

/** Query answered by both workflows with their {@link Progress}. */
export const PROGRESS_QUERY = 'progress';
/** Signal the training activity sends its workflow with the current GD step. */
export const TRAINING_STEP_SIGNAL = 'trainingStep';

/** Workflow patches (`patched()`): histories recorded before a change replay its old branch. */
export const PATCHES = {
  /** Spectrum, NTK check, then training, one at a time (they used to run side by side). */
  trainAfterSpectrum: 'train-after-spectrum',
} as const;
