import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsUploader } from '../steps/upload/aws/index.js';
import { amiName, UID_TAG } from '../steps/upload/aws/names.js';
import { awsSection, BUCKET, COMMIT, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';

let world: AwsWorld;
before(async () => {
  world = await startAwsWorld();
});
after(() => world.close());

const UID = `v2.3.0-pre-debug-${COMMIT}`;
const MiB = 1024 * 1024;

test('publishes an AMI in three regions from one upload and one import', async () => {
  const ec2 = await startEc2(world);
  try {
    const ctx = await uploadContext(world, awsSection(world, ec2), UID);
    const amis = await awsUploader.upload(ctx);

    assert.deepEqual(Object.keys(amis), ['us-east-1', 'us-west-2', 'eu-west-1']);
    for (const [region, imageId] of Object.entries(amis)) {
      const images = ec2.imagesIn(region);
      assert.equal(images.length, 1, `one AMI in ${region}`);
      assert.equal(images[0]!.imageId, imageId);
      assert.equal(images[0]!.state, 'available');
      assert.equal(images[0]!.name, amiName(ctx.config.aws!, UID));
      assert.equal(ec2.tags.get(imageId)?.get(UID_TAG), UID, `the AMI in ${region} carries the uid`);
      assert.equal(ec2.tags.get(images[0]!.snapshotId)?.get(UID_TAG), UID, `the snapshot in ${region} carries the uid`);
      assert.deepEqual(ctx.journal.get(`ami/${region}`), { imageId }, `the journal records the AMI of ${region}`);
    }
    assert.equal(ec2.importTasks.length, 1);
    const [snapshot] = ec2.snapshots.filter((candidate) => candidate.region === 'us-east-1');
    assert.equal(snapshot?.importedFormat, 'VMDK', 'the default import format is VMDK');
    assert.equal(snapshot?.importedSha256, world.image.sha256, 'the VMDK ImportSnapshot read decodes to exactly the raw image');
    assert.ok(snapshot.importedBytes! < 1.1 * MiB, `only the 1 MiB of data is uploaded, not the 3 MiB disk (${snapshot.importedBytes} bytes)`);
    const source = ec2.imagesIn('us-east-1')[0]!;
    assert.deepEqual(source.attributes, {
      architecture: 'x86_64',
      virtualizationType: 'hvm',
      bootMode: 'uefi',
      tpmSupport: 'v2.0',
      imdsSupport: 'v2.0',
      enaSupport: true,
      rootDeviceName: '/dev/xvda',
      deviceName: '/dev/xvda',
      volumeType: 'gp3',
      deleteOnTermination: true,
      uefiData: undefined,
    });
    for (const region of ['us-west-2', 'eu-west-1']) assert.equal(ec2.imagesIn(region)[0]!.sourceImageId, source.imageId);

    const s3 = new S3Client({ region: 'us-east-1', endpoint: world.s3.endpoint, forcePathStyle: true });
    const key = `osimage-import/${UID}/aws.vmdk`;
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), /NotFound/, 'the uploaded object is deleted after the import');
    s3.destroy();
  } finally {
    await ec2.close();
  }
});

test('aws.import.format raw uploads every byte of the image and imports it as RAW', async () => {
  const ec2 = await startEc2(world);
  try {
    const uid = `v2.3.0-pre-raw-${COMMIT}`;
    const ctx = await uploadContext(world, awsSection(world, ec2, { regions: ['us-east-1'] , import: { ...awsSection(world, ec2).import, format: 'raw' } }), uid);
    await awsUploader.upload(ctx);
    const [task] = ec2.importTasks;
    assert.equal(task?.key, `osimage-import/${uid}/aws.raw`);
    const [snapshot] = ec2.snapshots;
    assert.equal(snapshot?.importedFormat, 'RAW');
    assert.equal(snapshot.importedBytes, world.image.size);
    assert.equal(snapshot.importedSha256, world.image.sha256);
  } finally {
    await ec2.close();
  }
});
