import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { localRun, signingKeys, storeAt, UID } from './support/local-workflow.js';
import { startS3Server, type S3Server } from './support/s3rver.js';
import { WORKFLOW } from './support/workflow.js';
import { loadWorkflow, runWorkflow } from './support/workflow-runner.js';

let s3: S3Server;
before(async () => {
  s3 = await startS3Server(['releases']);
});
after(() => s3.close());

test('a dry run of the workflow rehearses every job and publishes nothing', async () => {
  const local = await localRun(s3, signingKeys().privateKey, 'dry-run', { 'dry-run': true });
  const outcome = await runWorkflow(await loadWorkflow(WORKFLOW), local);
  assert.deepEqual(outcome.steps.map((step) => step.step).slice(-2), ['Publish the release', 'Summarize']);
  assert.deepEqual(await storeAt(s3, 'dry-run').list(''), []);
  assert.ok(outcome.summary.includes(`rehearsal (dry run, nothing published) \`${UID}\``), outcome.summary);
});
