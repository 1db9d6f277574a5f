/**
 * Activity `projectResiduals`: |v̂_kᵀ r_t| for each target degree k, at every logged step, on
 * train and test, as `projections.arrow` (split, step, degree, kind, source, value).
 */
import { targetProjection, unitVector } from '../src/math/projection.js';
import { contentKey } from '../src/store/canonical-json.js';
import { readFloat64, readInt32, readStrings, tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { stopwatch, type ActivityDeps } from './context.js';
import { readSamples } from './sample.js';

export const PROJECT_STEP = { name: 'project', version: 1 } as const;

export interface ProjectResidualsInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  trajectory: ArtifactRef;
}
export interface ProjectResidualsOutput {
  projections: ArtifactRef;
  timing: StepTiming;
}

export async function projectResiduals(deps: ActivityDeps, { samples, trajectory }: ProjectResidualsInput): Promise<ProjectResidualsOutput> {
  const done = stopwatch(PROJECT_STEP.name);
  const key = contentKey({ step: PROJECT_STEP, params: {}, inputs: [samples.sha256, trajectory.sha256] });
  const cached = await deps.store.find(PROJECT_STEP.name, key, 'projections.arrow');
  if (cached) return { projections: cached, timing: done(true) };

  const s = await readSamples(deps, samples);
  const traj = await deps.store.readTable(trajectory);
  const step = readInt32(traj, 'step');
  const split = readStrings(traj, 'split');
  const residual = readFloat64(traj, 'residual');

  const units = s.components.map((c) => {
    const p = s.parts.get(c.degree)!;
    return { degree: c.degree, train: unitVector(p.train), test: unitVector(p.test) };
  });

  const out = { split: [] as string[], step: [] as number[], degree: [] as number[], kind: [] as string[], source: [] as string[], value: [] as number[] };
  // Rows are step-major, train block then test block (see train.ts).
  for (let o = 0; o < residual.length; ) {
    const which = split[o] as 'train' | 'test';
    const len = which === 'train' ? s.n : s.nTest;
    if (len === 0) continue;
    const r = residual.subarray(o, o + len);
    if (step[o + len - 1] !== step[o] || split[o + len - 1] !== which) {
      throw new Error(`trajectory ${trajectory.path} is not laid out step-major by split at row ${o}`);
    }
    for (const u of units) {
      out.split.push(which);
      out.step.push(step[o]!);
      out.degree.push(u.degree);
      out.kind.push('target');
      out.source.push('network');
      out.value.push(targetProjection(r, u[which]));
    }
    o += len;
  }
  const table = tableFromColumns({
    split: out.split,
    step: Int32Array.from(out.step),
    degree: Int32Array.from(out.degree),
    kind: out.kind,
    source: out.source,
    value: Float64Array.from(out.value),
  });
  const projections = await deps.store.writeTable(PROJECT_STEP.name, key, 'projections.arrow', table);
  return { projections, timing: done(false) };
}
