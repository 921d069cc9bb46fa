import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { awsUploader } from '../steps/upload/aws/index.js';
import { awsSection, COMMIT, startAwsWorld, startEc2, uploadContext, type AwsWorld } from './aws-harness.js';
import type { FakeEc2 } from './fakes/ec2/server.js';
import type { FaultPlan } from './fakes/faults.js';
import { startS3FaultProxy, type S3FaultProxy } from './support/s3-fault-proxy.js';

/**
 * The AWS column of the fault matrix: the real SDK clients against the fake EC2 and s3rver behind a fault-injecting
 * proxy. Each run must complete, make every resource once, and count each retry for the run summary.
 */
const MiB = 1024 * 1024;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
/** Fast retries: the matrix tests the policy's decisions, not its patience. */
const RETRY = { maxAttempts: 8, maxSeconds: 60, maxDelaySeconds: 0.05 };

let world: AwsWorld;
let proxy: S3FaultProxy;
before(async () => {
  const base = await startAwsWorld();
  // 17 MiB, so that the import object goes up as a multipart upload of three 8 MiB parts.
  const path = join(base.dir, 'multipart.raw');
  await writeFile(path, Buffer.alloc(0));
  await truncate(path, 17 * MiB);
  const file = await open(path, 'r+');
  for (const offset of [0, 9 * MiB, 16 * MiB]) await file.write(randomBytes(MiB), 0, MiB, offset);
  await file.close();
  world = { ...base, image: { path, size: 17 * MiB, sha256: createHash('sha256').update(await readFile(path)).digest('hex') } };
  proxy = await startS3FaultProxy(world.s3.endpoint);
});
after(async () => {
  await proxy.close();
  await world.close();
});

const action = (name: string): FaultPlan['match'] => (request) => request.path === name;
const partUpload: FaultPlan['match'] = (request) => request.method === 'PUT' && /[?&]partNumber=/.test(request.path);

const SCENARIOS: Array<{ name: string; ec2: FaultPlan[]; s3: FaultPlan[] }> = [
  {
    name: 'throttling (RequestLimitExceeded, SlowDown) on every 3rd request',
    ec2: [{ kind: 'throttle', every: 3 }],
    s3: [{ kind: 'throttle', every: 3 }],
  },
  {
    name: 'a burst of five 503s on CopyImage, ModifyImageAttribute, CreateTags and a part upload',
    ec2: ['CopyImage', 'ModifyImageAttribute', 'CreateTags'].map((name) => ({ kind: 'unavailable', times: 5, match: action(name) })),
    s3: [{ kind: 'unavailable', times: 5, match: partUpload }],
  },
  {
    name: 'a connection dropped in the middle of a part, and answers lost after CopyImage and RegisterImage',
    ec2: [{ kind: 'reset', match: action('CopyImage') }, { kind: 'reset', match: action('RegisterImage') }],
    s3: [{ kind: 'reset', match: partUpload }],
  },
  {
    name: 'answers that take 2 seconds',
    ec2: [{ kind: 'slow', delayMs: 2_000, match: action('RegisterImage') }],
    s3: [{ kind: 'slow', delayMs: 2_000, match: partUpload }],
  },
];

for (const [index, scenario] of SCENARIOS.entries()) {
  test(`aws survives ${scenario.name}`, async () => {
    const ec2 = await startEc2(world);
    proxy.faults.clear();
    try {
      for (const plan of scenario.ec2) ec2.faults.add(plan);
      for (const plan of scenario.s3) proxy.faults.add(plan);
      const aws = awsSection(world, ec2, { public: true, retry: RETRY });
      const ctx = await uploadContext(world, { ...aws, import: { ...aws.import, s3Endpoint: proxy.endpoint } }, `v2.3.0-pre-faults${index}-${COMMIT}`);

      const amis = await awsUploader.upload(ctx);

      assert.deepEqual(Object.keys(amis), REGIONS);
      assertNothingTwice(ec2, world.image.sha256);
      const injected = (faults: FakeEc2['faults']) => faults.injected.throttle + faults.injected.unavailable + faults.injected.reset;
      const expected = injected(ec2.faults) + injected(proxy.faults);
      if (scenario.name.startsWith('answers that take')) assert.equal(ec2.faults.injected.slow + proxy.faults.injected.slow, 2, 'the slow answers happened');
      else assert.ok(expected > 0, 'the faults happened');
      assert.equal(ctx.retries.of('aws'), expected, 'each injected fault cost exactly one retry, counted for the summary');
      const logged = ctx.lines.filter((line) => line.level === 20 && (line.retry as { scope?: string } | undefined)?.scope === 'aws');
      assert.equal(logged.length, expected, 'each retry is logged at debug');
    } finally {
      await ec2.close();
    }
  });
}

function assertNothingTwice(ec2: FakeEc2, sha256: string): void {
  assert.equal(ec2.importTasks.length, 1, 'one import task');
  for (const region of REGIONS) {
    assert.equal(ec2.imagesIn(region).length, 1, `one AMI in ${region}`);
    assert.equal(ec2.snapshots.filter((snapshot) => snapshot.region === region).length, 1, `one snapshot in ${region}`);
    assert.ok(ec2.imagesIn(region)[0]!.launchGroups.has('all'), `the AMI in ${region} is public`);
  }
  const imported = ec2.snapshots.find((snapshot) => snapshot.importedSha256);
  assert.equal(imported?.importedSha256, sha256, 'the snapshot holds exactly the image: the upload survived its faults intact');
}
