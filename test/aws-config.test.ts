import assert from 'node:assert/strict';
import { join } from 'node:path';
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

test('a dry run plans every write; the preflight before it only reads', async () => {
  const ec2 = await startEc2(world);
  try {
    const ctx = await uploadContext(world, awsSection(world, ec2, { public: true }), `v2.3.0-pre-plan-${COMMIT}`);
    const checks = await awsUploader.preflight(ctx);
    assert.deepEqual(checks.filter((check) => !check.ok), []);
    assert.deepEqual(checks.map((check) => check.what).slice(0, 6), [
      'the AWS credentials work (DescribeRegions in us-east-1)',
      'region us-east-1 exists and is enabled for the account',
      'region us-west-2 exists and is enabled for the account',
      'region eu-west-1 exists and is enabled for the account',
      'the import bucket s3://import-bucket is in the import region us-east-1',
      'the VM Import service role vmimport exists',
    ]);
    assert.ok(checks.some((check) => check.what === 'the public-AMI quota in eu-west-1 has room for this image (0 of 5 used)'));
    const plan = await awsUploader.plan(ctx);
    assert.deepEqual(plan.reference, { 'us-east-1': '<planned>', 'us-west-2': '<planned>', 'eu-west-1': '<planned>' });
    assert.ok(plan.writes.some((write) => write.startsWith('upload s3://import-bucket/osimage-import/v2.3.0-pre-plan-')));
    assert.equal(plan.writes.filter((write) => write.startsWith('CopyImage')).length, 2);
    assert.deepEqual([...new Set(ec2.requests.map((request) => request.action))].sort(), ['DescribeImages', 'DescribeRegions', 'GetImageBlockPublicAccessState']);
  } finally {
    await ec2.close();
  }
});

test('the preflight runs every check and says the cause and the fix of each failure', async () => {
  const ec2 = await startEc2(world, { blockPublicAccess: ['us-west-2'] });
  world.account.roles.delete('vmimport');
  world.account.publicAmiQuota['eu-west-1'] = 2;
  try {
    ec2.seedImage('eu-west-1', 'osimage-v1.0.0', { public: true });
    ec2.seedImage('eu-west-1', 'osimage-v1.1.0', { public: true });
    ec2.seedImage('eu-west-1', 'osimage-private', { public: false });
    const section = awsSection(world, ec2, { public: true, regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-east-1', 'eu-wset-1'] });
    const ctx = await uploadContext(world, { ...section, import: { ...section.import, bucket: 'no-such-bucket' } }, `v2.3.0-pre-plan-${COMMIT}`);
    const failed = (await awsUploader.preflight(ctx)).filter((check) => !check.ok);
    assert.deepEqual(failed.map((check) => check.what), [
      'region ap-east-1 exists and is enabled for the account',
      'region eu-wset-1 exists and is enabled for the account',
      'the import bucket s3://no-such-bucket is in the import region us-east-1',
      'the VM Import service role vmimport exists',
      'Image Block Public Access is off in us-west-2 (aws.public is true)',
      'the public-AMI quota in eu-west-1 has room for this image',
    ]);
    const [optIn, typo, bucket, role, blocked, quota] = failed;
    assert.match(optIn!.cause!, /opt-in region .* AuthFailure/);
    assert.match(optIn!.fix!, /aws account enable-region --region-name ap-east-1/);
    assert.match(typo!.fix!, /did you mean eu-west-1\?/);
    assert.match(bucket!.cause!, /NoSuchBucket/);
    assert.match(role!.fix!, /vm-import.*required-permissions|aws.import.roleName/);
    assert.match(blocked!.fix!, /aws ec2 disable-image-block-public-access --region us-west-2/);
    assert.match(quota!.cause!, /owns 2 public AMIs in eu-west-1 and the quota \(L-0E3CBAB9\) is 2/);
    assert.ok(failed.every((check) => check.cause && check.fix));
    const writes = ec2.requests.filter((request) => !/^(Describe|Get)/.test(request.action));
    assert.deepEqual(writes, [], 'the preflight only reads');
  } finally {
    world.account.roles.add('vmimport');
    delete world.account.publicAmiQuota['eu-west-1'];
    await ec2.close();
  }
});

test('without credentials the preflight says where the SDK looked and how to log in', async () => {
  const ec2 = await startEc2(world);
  const saved = { ...process.env };
  try {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[name];
    process.env.AWS_CONFIG_FILE = join(world.dir, 'no-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(world.dir, 'no-credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const ctx = await uploadContext(world, awsSection(world, ec2), `v2.3.0-pre-plan-${COMMIT}`);
    const checks = await awsUploader.preflight(ctx);
    assert.equal(checks.length, 1, 'nothing else is asked without credentials');
    assert.equal(checks[0]!.ok, false);
    assert.match(checks[0]!.cause!, /no AWS credentials found; the SDK tried: environment .*SSO, web identity/);
    assert.match(checks[0]!.fix!, /aws sso login --profile NAME.*AWS_PROFILE/);
  } finally {
    process.env = saved;
    await ec2.close();
  }
});
