import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { localRun, signingKeys, startLocalClouds, storeAt, type LocalClouds, UID } from './support/local-workflow.js';
import { WORKFLOW } from './support/workflow.js';
import { loadWorkflow, runWorkflow } from './support/workflow-runner.js';

let clouds: LocalClouds;
before(async () => {
  clouds = await startLocalClouds();
});
after(() => clouds.close());

test('a dry run of the workflow rehearses every job and publishes nothing', async () => {
  const local = await localRun(clouds, signingKeys().privateKey, 'dry-run', { 'dry-run': true });
  const outcome = await runWorkflow(await loadWorkflow(WORKFLOW), local);
  assert.deepEqual(outcome.steps.map((step) => step.step).slice(-2), ['Publish the release', 'Summarize']);
  assert.deepEqual(await storeAt(clouds.s3, 'dry-run').list(''), []);
  assert.ok(outcome.summary.includes(`rehearsal (dry run, nothing published) \`${UID}\``), outcome.summary);
});
