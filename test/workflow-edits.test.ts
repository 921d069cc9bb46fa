import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { localRun, signingKeys, startLocalClouds, type LocalClouds } from './support/local-workflow.js';
import { WORKFLOW } from './support/workflow.js';
import { loadWorkflow, runWorkflow, StepFailed } from './support/workflow-runner.js';

// The workflow's commands stop a run at the right job when its input or its own text is wrong.
let clouds: LocalClouds;
const keys = signingKeys();
before(async () => {
  clouds = await startLocalClouds();
});
after(() => clouds.close());

test('bad input stops in the resolve job, before any cloud job', async () => {
  const local = await localRun(clouds, keys.privateKey, 'bad-input', { clouds: 'qemu,openstack' });
  const failure = await runWorkflow(await loadWorkflow(WORKFLOW), local).then(() => undefined, (error: unknown) => error);
  assert.ok(failure instanceof StepFailed, String(failure));
  assert.equal(failure.record.job, 'resolve');
  assert.match(failure.record.stderr, /unknown cloud "openstack"/);
});

test('a wrongly edited workflow command fails the run', async () => {
  const text = await readFile(WORKFLOW, 'utf8');
  const edits: [from: string, to: string, job: string, message: RegExp][] = [
    ['--commit "$COMMIT")"', '--commit "$VERSION")"', 'resolve', /commit/],
    ['--out "results/$CSP-upload.json"', '--output "results/$CSP-upload.json"', 'upload', /required option '--out <file>' not specified/],
  ];
  for (const [index, [from, to, job, message]] of edits.entries()) {
    assert.ok(text.includes(from), `the workflow has ${from}`);
    const local = await localRun(clouds, keys.privateKey, `edit-${index}`);
    const path = join(local.root, 'build-os-image.yml');
    await writeFile(path, text.replace(from, to));
    const failure = await runWorkflow(await loadWorkflow(path), local).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof StepFailed, `the edit ${to} was noticed: ${String(failure)}`);
    assert.equal(failure.record.job, job);
    assert.match(failure.record.stderr, message);
  }
});

test('a checkout of anything but the commit the run labels fails the run', async () => {
  const text = await readFile(WORKFLOW, 'utf8');
  const ref = '        with:\n          ref: ${{ inputs.commit || github.sha }}\n';
  assert.equal(text.split(ref).length - 1, 3, 'every job checks out the commit');
  const local = await localRun(clouds, keys.privateKey, 'no-ref');
  const path = join(local.root, 'build-os-image.yml');
  await writeFile(path, text.replace(ref, ''));
  await assert.rejects(runWorkflow(await loadWorkflow(path), local), /must check out ref [0-9a-f]{40} \(the commit of the run\), not the branch/);
});
