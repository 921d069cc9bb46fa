import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OsimageError } from '../pipeline/errors.js';
import { awsUploader } from '../steps/upload/aws/index.js';
import { awsSection, COMMIT, rerunContext, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';

let world: AwsWorld;
before(async () => {
  world = await startAwsWorld();
});
after(() => world.close());

test('a best-effort region that fails is left out and logged; the others are published', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2, { regions: ['us-east-1', 'us-west-2', { name: 'eu-west-1', bestEffort: true }] });
    ec2.inject({ action: 'CopyImage', region: 'eu-west-1', code: 'UnauthorizedOperation', status: 403 });
    const ctx = await uploadContext(world, aws, `v2.3.0-pre-best-effort-${COMMIT}`);
    const amis = await awsUploader.upload(ctx);
    assert.deepEqual(Object.keys(amis), ['us-east-1', 'us-west-2']);
    const warning = ctx.lines.find((line) => line.level === 40 && line.region === 'eu-west-1');
    assert.ok(warning, 'the failed region is logged as a warning');
    assert.equal(ctx.warnings.length, 1);
    assert.match(ctx.warnings[0]!, /best-effort region eu-west-1 left out/, 'and reported for the run summary');

    // A rerun retries the missing region only.
    const again = await awsUploader.upload(await rerunContext(world, ctx, aws));
    assert.deepEqual(Object.keys(again), ['us-east-1', 'us-west-2', 'eu-west-1']);
    assert.equal(ec2.calls('CopyImage', 'us-west-2').length, 1);
  } finally {
    await ec2.close();
  }
});

test('a failing region that is not best-effort fails the run after the other regions finish', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2);
    ec2.inject({ action: 'CopyImage', region: 'us-west-2', code: 'UnauthorizedOperation', status: 403 });
    const ctx = await uploadContext(world, aws, `v2.3.0-pre-strict-${COMMIT}`);
    await assert.rejects(awsUploader.upload(ctx), { name: 'UnauthorizedOperation' });
    assert.ok(ctx.journal.get('ami/eu-west-1'), 'the other copy finished and is journalled');
    assert.equal(ctx.journal.get('ami/us-west-2'), undefined);
  } finally {
    await ec2.close();
  }
});

test('a throttling storm and server errors are retried with backoff', async () => {
  const ec2 = await startEc2(world);
  try {
    // Every other request throttled for a while, and a few 5xx on top.
    ec2.throttle = (sequence) => sequence < 16 && sequence % 2 === 1;
    ec2.inject({ action: 'RegisterImage', code: 'InternalError', status: 500, times: 2 });
    ec2.inject({ action: 'CopyImage', code: 'Unavailable', status: 503, times: 2, when: 'after' });
    const ctx = await uploadContext(world, awsSection(world, ec2), `v2.3.0-pre-storm-${COMMIT}`);
    const amis = await awsUploader.upload(ctx);
    assert.equal(Object.keys(amis).length, 3);
    assert.ok(ec2.requests.filter((request) => request.error === 'RequestLimitExceeded').length === 8, 'the storm happened');
    for (const region of Object.keys(amis)) assert.equal(ec2.imagesIn(region).length, 1, `one AMI in ${region}`);
  } finally {
    await ec2.close();
  }
});

test('the launch permission is set only once each AMI is available, despite NotFound right after creation', async () => {
  const ec2 = await startEc2(world, { imagePolls: 4 });
  try {
    ec2.newImagesInvisibleFor = 3;
    const ctx = await uploadContext(world, awsSection(world, ec2, { public: true }), `v2.3.0-pre-public-${COMMIT}`);
    const amis = await awsUploader.upload(ctx);
    const modifications = ec2.requests.filter((request) => request.action === 'ModifyImageAttribute');
    assert.equal(modifications.length, 3);
    assert.deepEqual(modifications.map((request) => request.imageState), ['available', 'available', 'available']);
    assert.ok(ec2.requests.some((request) => request.error === 'InvalidAMIID.NotFound'), 'EC2 did answer NotFound');
    for (const imageId of Object.values(amis)) assert.ok(ec2.images.find((image) => image.imageId === imageId)?.launchGroups.has('all'));
  } finally {
    await ec2.close();
  }
});

test('an import task that ends deleted fails with EC2s reason and the vmimport hint; a rerun imports anew', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2);
    ec2.importsEndDeleted = true;
    const ctx = await uploadContext(world, aws, `v2.3.0-pre-deleted-${COMMIT}`);
    const error = await awsUploader.upload(ctx).then(
      () => assert.fail('the upload succeeded'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof OsimageError);
    assert.match(error.message, /ended (deleting|deleted): ClientError: The service role vmimport/);
    assert.match(error.hint ?? '', /vmimport.*aws\.import\.roleName/);

    ec2.importsEndDeleted = false;
    const amis = await awsUploader.upload(await rerunContext(world, ctx, aws));
    assert.equal(Object.keys(amis).length, 3);
    assert.equal(ec2.importTasks.length, 2, 'the failed task is not reused');
    assert.equal(ec2.snapshots.filter((snapshot) => snapshot.region === 'us-east-1').length, 1);
  } finally {
    await ec2.close();
  }
});
