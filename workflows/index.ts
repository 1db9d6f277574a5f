export { spectralBiasPipeline, progressQuery, trainingStepSignal } from './pipeline.js';
export { spectralBiasSweep } from './sweep.js';
