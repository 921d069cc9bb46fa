import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openVhdSource } from '../steps/upload/azure/vhd-source.js';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION, type RunInput, type StepRun } from './support/azure-world.js';
import { sparseImage } from './support/sparse-image.js';

const MiB = 1024 * 1024;
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const GALLERY = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_test`;
const DATA_AT = 5 * MiB;
let world: AzureWorld;
let image: string;
let imageData: Buffer;

const upload = (version: string, state: string, azure: Record<string, unknown> = {}) => ({
  config: world.config(azure),
  version,
  commit: COMMIT,
  image,
  stateDir: state,
});
const plan = (version: string, state: string, azure: Record<string, unknown> = {}) => ({ ...upload(version, state, azure), mode: 'plan' as const });

const cvmOnly = { securityTypes: ['cvm'] };
const regions = { securityTypes: ['trustedlaunch'], targetRegions: [{ name: 'westeurope', replicas: 1 }, { name: 'eastus', replicas: 2 }] };
const community = {
  gallery: 'osimage_public',
  securityTypes: ['cvm'],
  community: { publicNamePrefix: 'osimage', publisherUri: 'https://example.com', publisherContact: 'images@example.com', eula: 'https://example.com/eula' },
};

/** Every scenario's runs, in one child process (a process costs seconds on a busy machine); the tests check them. */
let runs: Record<string, StepRun[]>;
let stderr: string;

before(async () => {
  world = await AzureWorld.start();
  image = join(world.dir, 'os.raw');
  imageData = randomBytes(3 * MiB);
  // 64 MiB of which 3 MiB are data: the rest must never be sent.
  await sparseImage(image, 64 * MiB, [[DATA_AT, imageData]]);

  // Faults name the scenario's own version or disk, so scenarios cannot disturb each other.
  world.arm.inject({ method: 'PUT', path: /\/versions\/2\.3\.0$/ }, { kind: 'throttle' }, 2);
  world.arm.inject({ method: 'POST', path: /\/disks\/osimage-cvm-2\.3\.0\/begingetaccess$/ }, { kind: 'throttle' });
  world.arm.inject({ method: 'PUT', path: /\/images\/os-cvm\/versions\/2\.4\.0$/ }, { kind: 'fail-operation' });
  world.arm.compute.failReplication('eastus');

  const scenarios: Record<string, RunInput[]> = {
    dryRun: [plan('v9.9.9', join(world.dir, 'dry'))],
    missingGroup: [plan('v9.9.9', join(world.dir, 'dry'), { resourceGroup: 'nope' })],
    unknownRegion: [plan('v9.9.9', join(world.dir, 'dry'), { targetRegions: [{ name: 'westeurope' }, { name: 'eastus3' }, { name: 'northeurop' }] })],
    release: [upload('v2.2.0', join(world.dir, 'release')), upload('v2.2.0', join(world.dir, 'release')), plan('v2.2.0', join(world.dir, 'release'))],
    throttled: [upload('v2.3.0', join(world.dir, 'throttled'), cvmOnly)],
    failedProvisioning: [upload('v2.4.0', join(world.dir, 'failed'), cvmOnly), upload('v2.4.0', join(world.dir, 'failed'), cvmOnly)],
    failedReplication: [upload('v2.6.0', join(world.dir, 'replication'), regions), upload('v2.6.0', join(world.dir, 'replication'), regions)],
    community: [upload('v2.5.0-pre-debug', join(world.dir, 'community'), community), plan('v2.5.0-pre-debug', join(world.dir, 'community'), community)],
  };
  const result = await world.run(...Object.values(scenarios).flat());
  stderr = result.stderr;
  let next = 0;
  runs = Object.fromEntries(Object.entries(scenarios).map(([name, inputs]) => [name, inputs.map(() => result.runs[next++]!)]));
});
after(async () => {
  await world?.stop();
});

function assertOk(run: StepRun): void {
  assert.equal(run.code, 0, `the step failed: ${run.error}`);
}

const uploadsOf = (disk: string) => world.arm.compute.uploads.filter((entry) => entry.disk === disk);
const disksLeft = () => [...world.arm.compute.resources.values()].filter((resource) => resource.type === 'Microsoft.Compute/disks');

test('no secret reaches the logs: neither the bearer token nor a SAS', () => {
  assert.ok(stderr.length > 0);
  for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(stderr, pattern, 'a secret reached the logs');
});

test('a dry run reads the resource group, gallery and definitions, plans the writes and writes nothing', () => {
  const [dry] = runs.dryRun!;
  assertOk(dry!);
  assert.equal(world.arm.requests.filter((request) => !request.startsWith('GET ') && request.includes('9.9.9')).length, 0);
  // The dry run came first: had it made the gallery, the first upload would not have made it.
  assert.ok(runs.release![0]!.logs.some((line) => line.msg === 'creating the gallery'), 'the dry run made the gallery');
  const checks = dry!.result.checks as { what: string; ok: boolean }[];
  assert.ok(checks.every((check) => check.ok), JSON.stringify(checks));
  assert.match(checks.map((check) => check.what).join('\n'), /the Azure login can read resource group images in subscription .*\n.*gallery osimage_test is missing and will be created in westeurope/);
  assert.ok(checks.some((check) => check.what === 'the gallery location and target regions are locations of the subscription: westeurope'));
  assert.ok(dry!.result.writes.includes('create gallery osimage_test in westeurope'));
  assert.ok(dry!.result.writes.some((write: string) => /^upload 67108864 bytes into disk osimage-cvm-9\.9\.9/.test(write)));
  assert.deepEqual(dry!.result.reference, { cvm: `${GALLERY}/images/os-cvm/versions/9.9.9`, trustedlaunch: `${GALLERY}/images/os-tl/versions/9.9.9` });

  const [missing] = runs.missingGroup!;
  assert.equal(missing!.code, 1);
  assert.match(missing!.error!, /resource group nope .*: ResourceGroupNotFound.*\(fix: check azure.subscriptionId and azure.resourceGroup/);
  assert.equal(missing!.result.checks.length, 1, 'nothing else is asked of a group that cannot be read');
});

test('the preflight checks every region against the subscription, with a did-you-mean', () => {
  const [run] = runs.unknownRegion!;
  assert.equal(run!.code, 1);
  const failed = (run!.result.checks as { what: string; ok: boolean; fix: string }[]).filter((check) => !check.ok);
  assert.deepEqual(failed.map((check) => check.what), ['region eastus3 is a location of the subscription', 'region northeurop is a location of the subscription']);
  assert.match(failed[1]!.fix, /did you mean northeurope\?/);
});

test('a release becomes a CVM and a Trusted Launch version from a sparse upload; a rerun reuses them', async () => {
  const [first, second, plan] = runs.release!;
  assertOk(first!);
  const expected = { cvm: `${GALLERY}/images/os-cvm/versions/2.2.0`, trustedlaunch: `${GALLERY}/images/os-tl/versions/2.2.0` };
  assert.deepEqual(first!.result, expected);
  assertOk(second!);
  assert.deepEqual(second!.result, expected);
  assert.deepEqual(plan!.result.writes, [], 'after a finished run there is nothing left to do');

  const compute = world.arm.compute;
  assert.equal(compute.get(expected.cvm)!.properties.provisioningState, 'Succeeded');
  assert.equal(compute.get(`${GALLERY}/images/os-cvm`)!.properties.features[0].value, 'ConfidentialVMSupported');
  assert.equal(compute.get(`${GALLERY}/images/os-tl`)!.properties.features[0].value, 'TrustedLaunch');
  assert.equal(compute.get(expected.cvm)!.properties.publishingProfile.excludeFromLatest, false);

  // Each disk was uploaded once, and got only the data of the sparse image (trimmed to sectors) and the footer.
  const source = await openVhdSource(image);
  const vhdSize = source.size;
  const data = Buffer.alloc(imageData.length);
  await source.read(DATA_AT, data);
  await source.close();
  for (const disk of ['osimage-cvm-2.2.0', 'osimage-trustedlaunch-2.2.0']) {
    const uploads = uploadsOf(disk);
    assert.equal(uploads.length, 1, `${disk} was uploaded ${uploads.length} times`);
    const [uploaded] = uploads;
    assert.deepEqual(uploaded!.ranges, [[DATA_AT, imageData.length], [vhdSize - 512, 512]]);
    assert.equal(uploaded!.writtenBytes, imageData.length + 512);
    assert.equal(uploaded!.dataSha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(uploaded!.footer.subarray(0, 8).toString('latin1'), 'conectix');
    assert.equal(uploaded!.footer.readBigUInt64BE(48), BigInt(64 * MiB));
  }
  assert.equal(disksLeft().filter((disk) => disk.name.endsWith('2.2.0')).length, 0, 'a temporary disk was left behind');
  assert.equal(world.arm.requests.filter((request) => request.startsWith('PUT') && request.endsWith('/versions/2.2.0')).length, 2);

  const journal = JSON.parse(await readFile(join(world.dir, 'release/journal/v2.2.0/azure.json'), 'utf8'));
  assert.deepEqual(Object.keys(journal).sort(), ['definition:cvm', 'definition:trustedlaunch', 'gallery', 'version:cvm', 'version:trustedlaunch']);
  assert.equal(journal['version:cvm'].reference, expected.cvm);
  assert.ok(first!.logs.some((line) => line.msg === 'disk uploaded' && line.sentBytes === imageData.length + 512));
});

test('throttled requests are retried after Retry-After', () => {
  const [run] = runs.throttled!;
  assertOk(run!);
  assert.equal(run!.result.cvm, `${GALLERY}/images/os-cvm/versions/2.3.0`);
  assert.equal(world.arm.requests.filter((request) => request.startsWith('PUT') && request.endsWith('/versions/2.3.0')).length, 3);
  assert.equal(world.arm.requests.filter((request) => request.endsWith('/osimage-cvm-2.3.0/beginGetAccess')).length, 2);
});

test('a version that failed to provision is deleted and made again from the uploaded disk', () => {
  const [failed, rerun] = runs.failedProvisioning!;
  assert.equal(failed!.code, 1);
  assert.match(failed!.error!, /creating image version os-cvm\/2\.4\.0 failed: .*InternalOperationError/);
  assertOk(rerun!);
  assert.equal(rerun!.result.cvm, `${GALLERY}/images/os-cvm/versions/2.4.0`);
  assert.ok(world.arm.requests.some((request) => request.startsWith('DELETE') && request.endsWith('/versions/2.4.0')));
  assert.equal(uploadsOf('osimage-cvm-2.4.0').length, 1, 'the rerun uploaded the disk again');
  assert.equal(world.arm.compute.get(rerun!.result.cvm)!.properties.provisioningState, 'Succeeded');
});

test('a version whose replication failed in one region is made again with the configured regions and replicas', () => {
  const [failed, rerun] = runs.failedReplication!;
  assert.equal(failed!.code, 1);
  assert.match(failed!.error!, /ReplicationFailed/);
  assert.match(failed!.error!, /"region":"eastus","details":"Replication to eastus failed/);
  assertOk(rerun!);
  const version = world.arm.compute.get(rerun!.result.trustedlaunch)!;
  assert.deepEqual(version.properties.publishingProfile.targetRegions, [{ name: 'westeurope', regionalReplicaCount: 1 }, { name: 'eastus', regionalReplicaCount: 2 }]);
  assert.deepEqual(version.properties.replicationStatus.summary.map((region: { state: string }) => region.state), ['Completed', 'Completed']);
  assert.equal(disksLeft().filter((disk) => disk.name.endsWith('2.6.0')).length, 0);
});

test('a pseudo version in a community gallery gets a community id and stays out of latest', () => {
  const [run, plan] = runs.community!;
  assertOk(run!);
  const match = /^\/CommunityGalleries\/(osimage-[0-9a-f-]{36})\/Images\/os-cvm\/Versions\/0\.2005000\.(\d+)$/.exec(run!.result.cvm);
  assert.ok(match, `not a community id: ${run!.result.cvm}`);
  assert.ok(Number(match[2]) < 2 ** 31);
  assert.equal(plan!.result.reference.cvm, run!.result.cvm);
  const version = world.arm.compute.get(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_public/images/os-cvm/versions/0.2005000.${match[2]}`)!;
  assert.equal(version.properties.publishingProfile.excludeFromLatest, true);
});
