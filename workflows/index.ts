export { spectralBiasPipeline, progressQuery, trainingStepSignal } from './pipeline.js';
