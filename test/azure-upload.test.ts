import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openVhdSource } from '../steps/upload/azure/vhd-source.js';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION, type StepRun } from './support/azure-world.js';
import { sparseImage } from './support/sparse-image.js';

const MiB = 1024 * 1024;
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const GALLERY = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_test`;
const DATA_AT = 5 * MiB;
let world: AzureWorld;
let image: string;
let imageData: Buffer;

before(async () => {
  world = await AzureWorld.start();
  image = join(world.dir, 'os.raw');
  imageData = randomBytes(3 * MiB);
  // 64 MiB of which 3 MiB are data: the rest must never be sent.
  await sparseImage(image, 64 * MiB, [[DATA_AT, imageData]]);
});
after(async () => {
  await world?.stop();
});

let dirs = 0;
/** A fresh journal per scenario; the fake cloud keeps its state across scenarios, like a real subscription. */
function stateDir(): string {
  return join(world.dir, `state-${++dirs}`);
}

async function runAll(...runs: Parameters<AzureWorld['run']>): Promise<StepRun[]> {
  const { runs: outcomes, stderr } = await world.run(...runs);
  for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(stderr, pattern, 'a secret reached the logs');
  return outcomes;
}

function assertOk(run: StepRun): void {
  assert.equal(run.code, 0, `the step failed: ${run.error}`);
}

const upload = (version: string, state: string, azure: Record<string, unknown> = {}) => ({
  config: world.config(azure),
  version,
  commit: COMMIT,
  image,
  stateDir: state,
});

const writes = () => world.arm.requests.filter((request) => !request.startsWith('GET '));
const uploadsOf = (disk: string) => world.arm.compute.uploads.filter((entry) => entry.disk === disk);
const disksLeft = () => [...world.arm.compute.resources.values()].filter((resource) => resource.type === 'Microsoft.Compute/disks');

test('a dry run reads the resource group, gallery and definitions, plans the writes and writes nothing', async () => {
  const before = writes().length;
  const [plan] = await runAll({ ...upload('v9.9.9', stateDir()), mode: 'plan' });
  assertOk(plan!);
  assert.equal(writes().length, before, 'the dry run wrote to the cloud');
  assert.match(plan!.result.checks.join('\n'), /resource group images .* is readable/);
  assert.ok(plan!.result.writes.includes('create gallery osimage_test in westeurope'));
  assert.ok(plan!.result.writes.some((write: string) => /^upload 67108864 bytes into disk osimage-cvm-9\.9\.9/.test(write)));
  assert.deepEqual(plan!.result.reference, { cvm: `${GALLERY}/images/os-cvm/versions/9.9.9`, trustedlaunch: `${GALLERY}/images/os-tl/versions/9.9.9` });

  const [missing] = await runAll({ ...upload('v9.9.9', stateDir(), { resourceGroup: 'nope' }), mode: 'plan' });
  assert.equal(missing!.code, 1);
  assert.match(missing!.error!, /reading resource group nope failed: HTTP 404 ResourceGroupNotFound/);
});

test('a release becomes a CVM and a Trusted Launch version from a sparse upload; a rerun reuses them', async () => {
  const state = stateDir();
  const [first, second, plan] = await runAll(upload('v2.2.0', state), upload('v2.2.0', state), { ...upload('v2.2.0', state), mode: 'plan' });
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
  assert.equal(compute.get(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/disks/osimage-cvm-2.2.0`), undefined);
  assert.equal(world.arm.requests.filter((request) => request.startsWith('PUT') && request.endsWith('/versions/2.2.0')).length, 2);

  const journal = JSON.parse(await readFile(join(state, 'journal/v2.2.0/azure.json'), 'utf8'));
  assert.deepEqual(Object.keys(journal).sort(), ['definition:cvm', 'definition:trustedlaunch', 'gallery', 'version:cvm', 'version:trustedlaunch']);
  assert.equal(journal['version:cvm'].reference, expected.cvm);
  assert.ok(first!.logs.some((line) => line.msg === 'disk uploaded' && line.sentBytes === imageData.length + 512));
});

test('throttled requests are retried after Retry-After', async () => {
  world.arm.inject({ method: 'PUT', path: /\/versions\/2\.3\.0$/ }, { kind: 'throttle' }, 2);
  world.arm.inject({ method: 'POST', path: /\/disks\/osimage-cvm-2\.3\.0\/begingetaccess$/ }, { kind: 'throttle' });
  const [run] = await runAll(upload('v2.3.0', stateDir(), { securityTypes: ['cvm'] }));
  assertOk(run!);
  assert.equal(run!.result.cvm, `${GALLERY}/images/os-cvm/versions/2.3.0`);
  assert.equal(world.arm.requests.filter((request) => request.startsWith('PUT') && request.endsWith('/versions/2.3.0')).length, 3);
  assert.equal(world.arm.requests.filter((request) => request.endsWith('/osimage-cvm-2.3.0/beginGetAccess')).length, 2);
});

test('a version that failed to provision is deleted and made again from the uploaded disk', async () => {
  world.arm.inject({ method: 'PUT', path: /\/images\/os-cvm\/versions\/2\.4\.0$/ }, { kind: 'fail-operation' });
  const state = stateDir();
  const [failed, rerun] = await runAll(upload('v2.4.0', state, { securityTypes: ['cvm'] }), upload('v2.4.0', state, { securityTypes: ['cvm'] }));
  assert.equal(failed!.code, 1);
  assert.match(failed!.error!, /creating image version os-cvm\/2\.4\.0 failed: .*InternalOperationError/);
  assertOk(rerun!);
  assert.equal(rerun!.result.cvm, `${GALLERY}/images/os-cvm/versions/2.4.0`);
  assert.ok(world.arm.requests.some((request) => request.startsWith('DELETE') && request.endsWith('/versions/2.4.0')));
  assert.equal(uploadsOf('osimage-cvm-2.4.0').length, 1, 'the rerun uploaded the disk again');
  assert.equal(world.arm.compute.get(rerun!.result.cvm)!.properties.provisioningState, 'Succeeded');
});

test('a version whose replication failed in one region is made again; progress names the regions', async () => {
  world.arm.compute.failReplication('eastus');
  const state = stateDir();
  const regions = { securityTypes: ['trustedlaunch'], targetRegions: [{ name: 'westeurope', replicas: 1 }, { name: 'eastus', replicas: 2 }] };
  const [failed, rerun] = await runAll(upload('v2.6.0', state, regions), upload('v2.6.0', state, regions));
  assert.equal(failed!.code, 1);
  assert.match(failed!.error!, /ReplicationFailed.*eastus/s);
  assert.match(failed!.error!, /"region":"eastus","details":"Replication to eastus failed/);
  assertOk(rerun!);
  const version = world.arm.compute.get(rerun!.result.trustedlaunch)!;
  assert.deepEqual(version.properties.publishingProfile.targetRegions, [{ name: 'westeurope', regionalReplicaCount: 1 }, { name: 'eastus', regionalReplicaCount: 2 }]);
  assert.deepEqual(version.properties.replicationStatus.summary.map((region: { state: string }) => region.state), ['Completed', 'Completed']);
  assert.equal(disksLeft().filter((disk) => disk.name.endsWith('2.6.0')).length, 0);
});

test('a pseudo version in a community gallery gets a community id and stays out of latest', async () => {
  const community = {
    gallery: 'osimage_public',
    securityTypes: ['cvm'],
    community: { publicNamePrefix: 'osimage', publisherUri: 'https://example.com', publisherContact: 'images@example.com', eula: 'https://example.com/eula' },
  };
  const state = stateDir();
  const [run, plan] = await runAll(upload('v2.5.0-pre-debug', state, community), { ...upload('v2.5.0-pre-debug', state, community), mode: 'plan' });
  assertOk(run!);
  const match = /^\/CommunityGalleries\/(osimage-[0-9a-f-]{36})\/Images\/os-cvm\/Versions\/0\.2005000\.(\d+)$/.exec(run!.result.cvm);
  assert.ok(match, `not a community id: ${run!.result.cvm}`);
  assert.ok(Number(match[2]) < 2 ** 31);
  assert.equal(plan!.result.reference.cvm, run!.result.cvm);
  const version = world.arm.compute.get(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_public/images/os-cvm/versions/0.2005000.${match[2]}`)!;
  assert.equal(version.properties.publishingProfile.excludeFromLatest, true);
});
