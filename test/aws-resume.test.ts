import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { awsUploader } from '../steps/upload/aws/index.js';
import type { FailureRule } from './fakes/ec2/server.js';
import { awsSection, COMMIT, rerunContext, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';

let world: AwsWorld;
before(async () => {
  world = await startAwsWorld();
});
after(() => world.close());

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const hasSnapshot = (params: Record<string, unknown>) => JSON.stringify(params.ResourceId ?? '').includes('snap-');
const hasImage = (params: Record<string, unknown>) => JSON.stringify(params.ResourceId ?? '').includes('ami-');

/**
 * A run that fails at one call, then a rerun on the same journal. `before`: the call fails; `after`: EC2 did the work
 * but the answer was lost. UnauthorizedOperation is not retried by the SDK, so the run stops right there.
 */
const failures: [string, Omit<FailureRule, 'code'>][] = [
  ['ImportSnapshot, answer lost', { action: 'ImportSnapshot', when: 'after' }],
  ['polling the import task', { action: 'DescribeImportSnapshotTasks', when: 'after' }],
  ['tagging the snapshot', { action: 'CreateTags', matching: hasSnapshot }],
  ['RegisterImage, answer lost', { action: 'RegisterImage', when: 'after' }],
  ['waiting for the source AMI', { action: 'DescribeImages', region: 'us-east-1', when: 'after' }],
  ['tagging the source AMI', { action: 'CreateTags', region: 'us-east-1', matching: hasImage, when: 'after' }],
  ['CopyImage, answer lost', { action: 'CopyImage', region: 'us-west-2', when: 'after' }],
  ['waiting for a copy', { action: 'DescribeImages', region: 'eu-west-1', when: 'after' }],
  ['making a copy public, answer lost', { action: 'ModifyImageAttribute', region: 'us-west-2', when: 'after' }],
];

failures.forEach(([what, rule], index) => {
  test(`a rerun after a failure at ${what} finishes without duplicates`, async () => {
    const ec2 = await startEc2(world);
    try {
      const aws = awsSection(world, ec2, { public: true });
      const uid = `v2.3.0-pre-resume-${index}-${COMMIT}`;
      ec2.inject({ ...rule, code: 'UnauthorizedOperation', status: 403 });
      const first = await uploadContext(world, aws, uid);
      await assert.rejects(awsUploader.upload(first), /UnauthorizedOperation|not authorized|injected/);
      assert.equal(ec2.requests.filter((request) => request.error === 'UnauthorizedOperation').length, 1, 'the failure happened');

      const amis = await awsUploader.upload(await rerunContext(world, first, aws));

      assert.deepEqual(Object.keys(amis), REGIONS);
      assert.equal(ec2.importTasks.length, 1, 'one import task');
      for (const region of REGIONS) {
        assert.equal(ec2.imagesIn(region).length, 1, `one AMI in ${region}`);
        assert.equal(ec2.snapshots.filter((snapshot) => snapshot.region === region).length, 1, `one snapshot in ${region}`);
        const image = ec2.imagesIn(region)[0]!;
        assert.equal(amis[region], image.imageId);
        assert.ok(image.launchGroups.has('all'), `the AMI in ${region} is public`);
      }
    } finally {
      await ec2.close();
    }
  });
});

test('a rerun after a finished run makes no cloud write at all', async () => {
  const ec2 = await startEc2(world);
  try {
    const aws = awsSection(world, ec2, { public: true });
    const first = await uploadContext(world, aws, `v2.3.0-pre-twice-${COMMIT}`);
    const amis = await awsUploader.upload(first);
    const writes = () => ec2.requests.filter((request) => !/^Describe/.test(request.action)).length;
    const before = writes();
    assert.deepEqual(await awsUploader.upload(await rerunContext(world, first, aws)), amis);
    assert.equal(writes(), before);
  } finally {
    await ec2.close();
  }
});
