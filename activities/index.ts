/**
 * The pipeline's activities, bound to their dependencies (`createActivities(deps)`). Workflows
 * proxy `ReturnType<typeof createActivities>`; each activity takes one input object.
 */
import type { ActivityDeps } from './context.js';
import { prepareRun } from './prepare.js';
import { prepareSweep } from './prepare-sweep.js';
import { sampleData, type SampleDataInput } from './sample.js';
import { computeSpectrum, type ComputeSpectrumInput } from './spectrum.js';
import { trainNetwork, type TrainNetworkInput } from './train.js';
import { checkNtk, type CheckNtkInput } from './ntk-check.js';
import { projectResiduals, type ProjectResidualsInput } from './project.js';
import { analyzeRun, type AnalyzeRunInput } from './analyze.js';
import { recordRunFailure, type RecordRunFailureInput } from './record-failure.js';

export type { ActivityDeps } from './context.js';

export function createActivities(deps: ActivityDeps) {
  return {
    prepareRun,
    prepareSweep,
    sampleData: (input: SampleDataInput) => sampleData(deps, input),
    computeSpectrum: (input: ComputeSpectrumInput) => computeSpectrum(deps, input),
    checkNtk: (input: CheckNtkInput) => checkNtk(deps, input),
    trainNetwork: (input: TrainNetworkInput) => trainNetwork(deps, input),
    projectResiduals: (input: ProjectResidualsInput) => projectResiduals(deps, input),
    analyzeRun: (input: AnalyzeRunInput) => analyzeRun(deps, input),
    recordRunFailure: (input: RecordRunFailureInput) => recordRunFailure(deps, input),
  };
}
