export { parseSpec, pipelineSpecSchema, SpecError, ENGINES } from './schema.js';
export type { PipelineSpec, PipelineSpecInput } from './schema.js';
export { canonicalSpecJson, specHash, runIdFor } from './hash.js';
