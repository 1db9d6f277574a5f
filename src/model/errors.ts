/**
 * Failure kinds of network training. Each carries the offending value and builds its message
 * from it, so the CLI can print the message as its one line.
 */

/** The training loss became NaN or infinite: the learning rate is too large for this problem. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';

  constructor(
    /** The GD step at which the loss was first seen non-finite. */
    readonly step: number,
    /** The NTK-scaled rate eta' (the weight step is eta' / (m theta^2)). */
    readonly learningRate: number,
  ) {
    super(`training diverged at step ${step} (loss is NaN/inf); try a smaller training.learningRate (now ${learningRate})`);
  }
}
