import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { awsConfig } from '../config/aws.js';
import { configSchema } from '../config/schema.js';
import { awsUploader } from '../steps/upload/aws/index.js';
import { amiName } from '../steps/upload/aws/names.js';
import { awsSection, COMMIT, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';

const AMI_NAME = /^[a-zA-Z0-9 ()[\]./'@_-]{3,128}$/;
const minimal = { import: { region: 'us-east-1', bucket: 'my-import-bucket' }, regions: ['us-east-1', 'eu-west-1'] };

test('AMI names from uids meet the AMI name rules and never collide', () => {
  const config = awsConfig.parse(minimal);
  assert.equal(amiName(config, 'v2.2.0'), 'osimage-v2.2.0');
  const branch = `v2.3.0-pre-${'a-very-long-branch-name-'.repeat(6)}end`;
  const one = amiName(config, `${branch}-${COMMIT}`);
  const two = amiName(config, `${branch}-${'d'.repeat(40)}`);
  for (const name of [one, two]) assert.match(name, AMI_NAME);
  assert.notEqual(one, two, 'uids that differ only past the cut get different names');
  assert.equal(amiName(config, `${branch}-${COMMIT}`), one, 'the same uid always gets the same name');
});

test('config errors name the key and the fix', () => {
  const issues = (input: unknown) =>
    configSchema.safeParse({ store: { url: 'file://x' }, publicBaseUrl: 'https://example.com', signing: { development: true }, aws: input }).error?.issues ?? [];
  const missing = issues({ ...minimal, regions: ['eu-west-1'] });
  assert.deepEqual(missing[0]?.path, ['aws', 'regions']);
  assert.match(missing[0]!.message, /import region us-east-1 is not in aws.regions: add it/);
  const bestEffort = issues({ ...minimal, regions: [{ name: 'us-east-1', bestEffort: true }] });
  assert.deepEqual(bestEffort[0]?.path, ['aws', 'regions', 0, 'bestEffort']);
  const region = issues({ ...minimal, regions: ['us-east-1', 'Frankfurt'] });
  assert.deepEqual(region[0]?.path, ['aws', 'regions', 1]);
  assert.match(z.prettifyError(configSchema.safeParse({ store: { url: 'file://x' }, publicBaseUrl: 'https://e.com', signing: { development: true }, aws: { ...minimal, import: { region: 'us-east-1' } } }).error!), /aws\.import\.bucket/);
  assert.equal(awsConfig.parse(minimal).import.roleName, 'vmimport');
});

let world: AwsWorld;
before(async () => {
  world = await startAwsWorld();
});
after(() => world.close());

test('a dry run checks regions and bucket read-only and plans every write', async () => {
  const ec2 = await startEc2(world);
  try {
    const ctx = await uploadContext(world, awsSection(world, ec2, { public: true }), `v2.3.0-pre-plan-${COMMIT}`);
    const plan = await awsUploader.plan(ctx);
    assert.deepEqual(plan.reference, { 'us-east-1': '<planned>', 'us-west-2': '<planned>', 'eu-west-1': '<planned>' });
    assert.equal(plan.checks.length, 2);
    assert.ok(plan.writes.some((write) => write.startsWith('upload s3://import-bucket/osimage-import/v2.3.0-pre-plan-')));
    assert.equal(plan.writes.filter((write) => write.startsWith('CopyImage')).length, 2);
    assert.deepEqual([...new Set(ec2.requests.map((request) => request.action))], ['DescribeRegions']);

    const disabled = await uploadContext(world, awsSection(world, ec2, { regions: ['us-east-1', 'ap-east-1'] }), `v2.3.0-pre-plan-${COMMIT}`);
    await assert.rejects(awsUploader.plan(disabled), /ap-east-1 is not enabled/);
    const wrongBucket = await uploadContext(world, { ...awsSection(world, ec2), import: { ...awsSection(world, ec2).import, bucket: 'no-such-bucket' } }, `v2.3.0-pre-plan-${COMMIT}`);
    await assert.rejects(awsUploader.plan(wrongBucket), /could not find the import bucket no-such-bucket/);
  } finally {
    await ec2.close();
  }
});
