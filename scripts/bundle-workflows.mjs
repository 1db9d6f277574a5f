// Build step after `tsc`: bundle the compiled workflows once (webpack), so that a run's worker
// loads dist/workflow-bundle.js instead of bundling for seconds at every start.
import { writeWorkflowBundle } from '../dist/src/temporal/workflow-bundle.js';
import { workflowsPath } from '../dist/src/temporal/worker.js';

const t0 = performance.now();
const { code } = await writeWorkflowBundle(workflowsPath());
console.error(`bundled the workflows into ${code} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
