import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifySignature } from '../discovery/signature.js';
import { COMMIT, LEGS, localRun, PUBLIC, signingKeys, startLocalClouds, storeAt, type LocalClouds, UID } from './support/local-workflow.js';
import { WORKFLOW } from './support/workflow.js';
import { loadWorkflow, runWorkflow } from './support/workflow-runner.js';

// The release workflow's own commands, in its job order (resolve, each leg of LEGS, publish), against s3rver.
let clouds: LocalClouds;
const keys = signingKeys();
before(async () => {
  clouds = await startLocalClouds();
});
after(() => clouds.close());

test("the workflow's commands publish a release, job by job, against s3rver and the fake EC2", async () => {
  const outcome = await runWorkflow(await loadWorkflow(WORKFLOW), await localRun(clouds, keys.privateKey, 'workflow'));
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

  const store = storeAt(clouds.s3, 'workflow');
  const table = await store.get(`images/${UID}.json`);
  assert.ok(table, 'the lookup table is published');
  const published = JSON.parse(table.body.toString()) as { aws: Record<string, string>; qemu: string };
  assert.deepEqual(Object.keys(published).sort(), legs);
  // A pseudo version's raw image is stored under its digest.
  assert.match(published.qemu, new RegExp(`^${PUBLIC}/raw/${UID}/[0-9a-f]{64}/qemu\\.raw$`));
  // The AMIs the aws leg registered in the fake EC2, one per region.
  assert.deepEqual(
    Object.entries(published.aws).sort(),
    clouds.ec2.images.map((image) => [image.region, image.imageId]).sort(),
  );
  assert.ok(verifySignature(table.body, (await store.get(`images/${UID}.json.sig`))!.body.toString(), keys.publicKey), 'signed with the secret key');
  assert.equal(table.metadata.commit, COMMIT);
  const image = await readFile(join(outcome.dirs['upload (qemu)']!, 'image/out/qemu.raw'));
  assert.ok((await store.get(published.qemu.slice(`${PUBLIC}/`.length)))!.body.equals(image), "the referenced raw image is the leg's image");
  for (const leg of legs) {
    const key = `measurements/${leg}/${UID}/measurements.yaml`;
    const measurements = await store.get(key);
    assert.ok(measurements, `${leg} measurements are published`);
    assert.ok(verifySignature(measurements.body, (await store.get(`${key}.sig`))!.body.toString(), keys.publicKey));
  }

  // The job summary names the uid and the reference, and links the published table.
  assert.ok(outcome.summary.includes(`release \`${UID}\``), outcome.summary);
  assert.ok(outcome.summary.includes(`| qemu |  | \`${published.qemu}\` |`), outcome.summary);
  assert.ok(outcome.summary.includes(`(${PUBLIC}/images/${UID}.json)`), outcome.summary);
  assert.ok(outcome.summary.includes(`| aws | us-west-2 | \`${published.aws['us-west-2']}\` |`), outcome.summary);
});
