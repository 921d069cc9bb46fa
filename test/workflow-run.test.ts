import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifySignature } from '../discovery/signature.js';
import { COMMIT, LEGS, localRun, PUBLIC, signingKeys, storeAt, UID } from './support/local-workflow.js';
import { startS3Server, type S3Server } from './support/s3rver.js';
import { WORKFLOW } from './support/workflow.js';
import { loadWorkflow, runWorkflow, StepFailed } from './support/workflow-runner.js';

// The release workflow's own commands, in its job order (resolve, each leg of LEGS, publish), against s3rver.
let s3: S3Server;
const keys = signingKeys();
before(async () => {
  s3 = await startS3Server(['releases']);
});
after(() => s3.close());

test("the workflow's commands publish a release, job by job, against s3rver", async () => {
  const outcome = await runWorkflow(await loadWorkflow(WORKFLOW), await localRun(s3, keys.privateKey, 'workflow'));
  const legs = Object.keys(LEGS);

  assert.deepEqual(outcome.jobOutputs.resolve, { uid: UID, clouds: JSON.stringify(legs) });
  assert.deepEqual(
    outcome.steps.map((step) => `${step.job}${step.leg ? `/${step.leg}` : ''}: ${step.step}`),
    [
      'resolve: Check the inputs and compute the uid',
      ...legs.flatMap((leg) => [`upload/${leg}: Upload the image`, `upload/${leg}: Measure the image`]),
      'publish: Publish the release',
      'publish: Summarize',
    ],
  );

  const store = storeAt(s3, 'workflow');
  const table = await store.get(`images/${UID}.json`);
  assert.ok(table, 'the lookup table is published');
  assert.deepEqual(JSON.parse(table.body.toString()), { qemu: `${PUBLIC}/raw/${UID}/qemu.raw` });
  assert.ok(verifySignature(table.body, (await store.get(`images/${UID}.json.sig`))!.body.toString(), keys.publicKey), 'signed with the secret key');
  assert.equal(table.metadata.commit, COMMIT);
  const image = await readFile(join(outcome.dirs['upload (qemu)']!, 'image/out/qemu.raw'));
  assert.ok((await store.get(`raw/${UID}/qemu.raw`))!.body.equals(image), "the referenced raw image is the leg's image");
  for (const leg of legs) {
    const key = `measurements/${leg}/${UID}/measurements.yaml`;
    const measurements = await store.get(key);
    assert.ok(measurements, `${leg} measurements are published`);
    assert.ok(verifySignature(measurements.body, (await store.get(`${key}.sig`))!.body.toString(), keys.publicKey));
  }

  // The job summary names the uid and the reference, and links the published table.
  assert.ok(outcome.summary.includes(`release \`${UID}\``), outcome.summary);
  assert.ok(outcome.summary.includes(`| qemu |  | \`${PUBLIC}/raw/${UID}/qemu.raw\` |`), outcome.summary);
  assert.ok(outcome.summary.includes(`(${PUBLIC}/images/${UID}.json)`), outcome.summary);
});

test('bad input stops in the resolve job, before any cloud job', async () => {
  const local = await localRun(s3, keys.privateKey, 'bad-input', { clouds: 'qemu,openstack' });
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
    const local = await localRun(s3, keys.privateKey, `edit-${index}`);
    const path = join(local.root, 'build-os-image.yml');
    await writeFile(path, text.replace(from, to));
    const failure = await runWorkflow(await loadWorkflow(path), local).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof StepFailed, `the edit ${to} was noticed: ${String(failure)}`);
    assert.equal(failure.record.job, job);
    assert.match(failure.record.stderr, message);
  }
});
