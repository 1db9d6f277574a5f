/**
 * Spec identity: canonical JSON, its sha256, and the run id derived from it.
 *
 *   const { specHash, runId } = specIdentity(spec);   // runId = 'quickstart-3fa9c1d2e4b5'
 */
import { canonicalJson, sha256Hex } from '../store/canonical-json.js';
import type { PipelineSpec } from './schema.js';

export function canonicalSpecJson(spec: PipelineSpec): string {
  return canonicalJson(spec);
}

export function specHash(spec: PipelineSpec): string {
  return sha256Hex(canonicalSpecJson(spec));
}

/** The run id, and so the workflow id: the same spec always names the same run. */
export function runIdFor(spec: PipelineSpec): string {
  return `${spec.name}-${specHash(spec).slice(0, 12)}`;
}
