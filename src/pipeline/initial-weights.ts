/**
 * The initial weights of a spec's network, as the NTK check and the finite-width twin need them:
 * exactly those training starts from (same seed, same streams). The paper's network keeps
 * `initWeights` (W1, W2 in the paper's scale, `model.init` honoured); a member of the model
 * family gets `initDeepWeights` (every A_h, b_h standard normal, streams init/W<h>, init/b<h>).
 *
 *   const w = initialWeights(spec, dim);
 *   if (isDeepWeights(w)) ...   // a model of the family
 */
import { isPaperModel, modelFamilyOf } from '../math/ntk-family.js';
import { initWeights, type NetworkWeights } from '../model/network.js';
import { initDeepWeights, type DeepWeights } from '../model/reference-deep.js';
import { SpecError, type PipelineSpec } from '../spec/schema.js';

export function initialWeights(spec: PipelineSpec, dim: number): NetworkWeights | DeepWeights {
  const model = modelFamilyOf(spec.model);
  const { width, init } = spec.model;
  if (isPaperModel(model)) return initWeights(spec.seed, width, dim, init);
  // The symmetric init is defined for the paper's two layers (paired neurons with opposite W2).
  if (init === 'symmetric') {
    throw new SpecError(
      'model.init',
      `symmetric is defined for the paper's network only (depth 2, bias 0, relu), got depth ${model.depth}, bias ${model.bias}, ${model.activation}`,
    );
  }
  return initDeepWeights(spec.seed, model, width, dim);
}
