import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DigestMismatchError } from '../pipeline/digest-check.js';
import { awsUploader } from '../steps/upload/aws/index.js';
import { DIGEST_TAG } from '../steps/upload/aws/names.js';
import { awsSection, COMMIT, rerunContext, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';

/** AWS reuses a snapshot, an import task or an AMI only when it carries this run's image digest. */
let world: AwsWorld;
before(async () => {
  world = await startAwsWorld();
});
after(() => world.close());

const UID = `v2.3.0-pre-other-${COMMIT}`;
const OTHER_DIGEST = 'f'.repeat(64);

function isMismatch(resource: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof DigestMismatchError, String(error));
    assert.equal(error.exitCode, 3);
    assert.match(error.resource, resource);
    assert.equal(error.expected, OTHER_DIGEST);
    assert.equal(error.found, world.image.sha256);
    return true;
  };
}

test('a rerun with another image reuses nothing: neither the journal entries nor what the cloud has', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2, { regions: ['us-east-1', 'us-west-2'] });
    const first = await uploadContext(world, aws, UID);
    await awsUploader.upload(first);
    const counts = () => ({ images: ec2.images.length, snapshots: ec2.snapshots.length, tasks: ec2.importTasks.length });
    const made = counts();

    const other = join(await mkdtemp(join(world.dir, 'other-')), 'aws.raw');
    await writeFile(other, randomBytes(1024 * 1024));
    const rerun = await rerunContext(world, first, aws);
    const otherImage = { path: other, size: 1024 * 1024, digest: OTHER_DIGEST };
    await assert.rejects(awsUploader.upload({ ...rerun, image: otherImage }), isMismatch(/journal entry snapshot/));

    // Without the journal (another machine), the snapshot found by its uid tag is checked by its digest tag.
    const fresh = await uploadContext(world, aws, UID);
    await assert.rejects(awsUploader.upload({ ...fresh, image: otherImage }), isMismatch(/snapshot snap-.* tagged osimage:uid/));
    assert.deepEqual(counts(), made, 'nothing new was made');
  } finally {
    await ec2.close();
  }
});

test('--replace deregisters the AMIs, deletes the snapshots and the import object, and publishes the new image afresh', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2, { regions: ['us-east-1', 'us-west-2', 'eu-west-1'] });
    const uid = `v2.3.0-pre-replace-${COMMIT}`;
    const first = await uploadContext(world, aws, uid);
    const before = await awsUploader.upload(first);

    const bytes = randomBytes(2 * 1024 * 1024);
    const other = join(await mkdtemp(join(world.dir, 'replace-')), 'aws.raw');
    await writeFile(other, bytes);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const rerun = { ...(await rerunContext(world, first, aws)), image: { path: other, size: bytes.length, digest }, replace: true };
    await awsUploader.remove!(rerun);
    const after = await awsUploader.upload(rerun);

    assert.deepEqual(Object.keys(after), Object.keys(before));
    for (const [region, imageId] of Object.entries(after)) {
      assert.notEqual(imageId, before[region], `a new AMI in ${region}`);
      assert.deepEqual(ec2.imagesIn(region).map((image) => image.imageId), [imageId], `only the new AMI is left in ${region}`);
      assert.equal(ec2.tags.get(imageId)?.get(DIGEST_TAG), digest);
    }
    const used = new Set(ec2.images.map((image) => image.snapshotId));
    assert.deepEqual(ec2.snapshots.filter((snapshot) => !used.has(snapshot.snapshotId)), [], 'no snapshot is left behind');
    const imported = ec2.snapshots.find((snapshot) => snapshot.region === 'us-east-1');
    assert.equal(imported?.importedSha256, digest, 'the new import read the new image');
    assert.equal(ec2.importTasks.length, 2, 'one import per image');
  } finally {
    await ec2.close();
  }
});
