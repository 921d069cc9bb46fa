import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { S3Store } from '../pipeline/store/s3-store.js';
import { LifecycleWorld, OTHER_COMMIT, REGIONS } from './support/lifecycle-world.js';

let world: LifecycleWorld;
let store: S3Store;

before(async () => {
  world = await LifecycleWorld.start();
  store = world.store;
});
after(() => world.stop());

/** Every key of the release bucket that mentions the uid, journals included. */
async function keysOf(uid: string): Promise<string[]> {
  return (await store.list('')).filter((key) => key.includes(uid)).sort();
}

async function versionsIndex(): Promise<{ releases: string[]; pseudo: string[] }> {
  return JSON.parse((await store.get('images/versions.json'))!.body.toString('utf8'));
}

/** The AMIs, snapshots and GCE images of one uid, by their tags and labels. */
function resourcesOf(uid: string) {
  const tagged = (id: string) => world.ec2.tags.get(id)?.get('osimage:uid') === uid;
  return {
    amis: world.ec2.images.filter((image) => tagged(image.imageId)).map((image) => image.imageId),
    snapshots: world.ec2.snapshots.filter((snapshot) => tagged(snapshot.snapshotId)).map((snapshot) => snapshot.snapshotId),
    gceImages: world.gce.imageNames('osimage-test').filter((name) => world.gce.image('osimage-test', name)!.labels !== undefined && (world.gce.image('osimage-test', name)!.labels as Record<string, string>)['osimage-uid']!.startsWith(uid.slice(0, 20))),
  };
}

test('delete plans by default, then --apply removes exactly the uid: unpublished first, every region, nothing of another uid', async () => {
  const doomed = await world.publish('v2.3.0-pre-gone');
  const kept = await world.publish('v2.3.0-pre-kept', OTHER_COMMIT);
  const before = world.inventory();
  const keptKeys = await keysOf(kept);
  const doomedAmis = REGIONS.map((region) => world.ec2.imagesIn(region).find((image) => world.ec2.tags.get(image.imageId)?.get('osimage:uid') === doomed)!.imageId);

  const plan = await world.cli(['delete', doomed, '--config', world.config]);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, /would delete \(a dry run/);
  for (const ami of doomedAmis) assert.ok(plan.stdout.includes(ami), `the plan names ${ami}:\n${plan.stdout}`);
  for (const region of REGIONS) assert.match(plan.stdout, new RegExp(`aws +${region} +snapshot +snap-\\w+ +1 GiB`));
  assert.match(plan.stdout, /gcp +osimage-test +image +osimage-v2-3-0-pre-gone/);
  assert.match(plan.stdout, /store .* object +raw\/v2\.3\.0-pre-gone-\w+\/qemu\.raw +20 MiB/);
  assert.match(plan.stdout, /measurements\/aws\/v2\.3\.0-pre-gone-\w+\/measurements\.yaml/);
  assert.deepEqual(world.inventory(), before, 'the dry run deletes nothing');
  const found = await world.lookup(doomed, 'aws', '--region', 'us-west-2');
  assert.equal(found.exitCode, 0, found.stderr);

  // Lookups run all through the deletion: each one answers an image that still exists, or "no such version".
  const lookups: Array<{ startedAt: number; exitCode: number; stdout: string }> = [];
  let deleting = true;
  const watcher = (async () => {
    while (deleting) {
      const startedAt = Date.now();
      const result = await world.lookup(doomed, 'aws', '--region', 'us-west-2');
      lookups.push({ startedAt, ...result });
    }
  })();
  const applied = await world.cli(['delete', doomed, '--config', world.config, '--apply']);
  deleting = false;
  await watcher;
  assert.equal(applied.exitCode, 0, applied.stderr);
  assert.match(applied.stdout, /^deleted v2\.3\.0-pre-gone/);

  const firstDeregister = Math.min(...world.ec2.calls('DeregisterImage').map((call) => call.at));
  for (const lookup of lookups) {
    assert.ok(lookup.exitCode === 0 || lookup.exitCode === 2, `lookup exits 0 or 2, not ${lookup.exitCode}`);
    if (lookup.exitCode === 0) assert.equal(lookup.stdout.trim(), doomedAmis[1], 'a lookup that finds the uid names its real AMI');
    if (lookup.startedAt > firstDeregister) assert.equal(lookup.exitCode, 2, 'once an image is being deleted, no lookup finds the uid');
  }
  assert.equal((await world.lookup(doomed, 'aws', '--region', 'us-west-2')).exitCode, 2);

  assert.deepEqual(resourcesOf(doomed), { amis: [], snapshots: [], gceImages: [] });
  assert.deepEqual(await keysOf(doomed), [], 'table, signature, measurements, raw image and journals are gone');
  assert.ok(!(await versionsIndex()).pseudo.includes(doomed));
  assert.deepEqual(await keysOf(kept), keptKeys, 'the other uid keeps every file');
  assert.ok((await versionsIndex()).pseudo.includes(kept));
  const after = world.inventory();
  assert.deepEqual(after.amis, before.amis.filter((ami) => !doomedAmis.some((id) => ami.endsWith(id))));
  assert.equal(after.snapshots.length, before.snapshots.length - REGIONS.length);
  assert.equal(after.gceImages.length, before.gceImages.length - 1);
  assert.equal((await world.lookup(kept, 'aws', '--region', 'eu-west-1')).exitCode, 0);

  const again = await world.cli(['delete', doomed, '--config', world.config, '--apply']);
  assert.equal(again.exitCode, 2, 'a uid with nothing left is bad input');
});

test('a deletion that crashes after each cloud deletion resumes from its journal and ends in the same state', async () => {
  const doomed = await world.publish('v2.3.0-pre-crash');
  const started = Date.now();
  const others = world.inventory();
  const ofDoomed = resourcesOf(doomed);
  // Each run loses EC2's answer to one deletion (the work is done, the process fails before it records it).
  const crashes = [
    ...ofDoomed.amis.map((id) => ({ action: 'DeregisterImage', field: 'ImageId', id })),
    ...ofDoomed.snapshots.map((id) => ({ action: 'DeleteSnapshot', field: 'SnapshotId', id })),
  ];
  assert.equal(crashes.length, 2 * REGIONS.length);
  for (const [attempt, { action, field, id }] of crashes.entries()) {
    world.ec2.inject({ action, matching: (params) => params[field] === id, code: 'UnauthorizedOperation', status: 403, when: 'after' });
    const crashed = await world.cli(['delete', doomed, '--config', world.config, '--apply']);
    assert.equal(crashed.exitCode, 1, `run ${attempt + 1} fails after its deletion: ${crashed.stderr}`);
    assert.equal((await world.lookup(doomed, 'aws', '--region', 'us-east-1')).exitCode, 2, 'the uid stays unpublished between runs');
    assert.equal((await world.lookup(doomed, 'gcp')).exitCode, 2);
  }
  const finished = await world.cli(['delete', doomed, '--config', world.config, '--apply']);
  assert.equal(finished.exitCode, 0, finished.stderr);
  assert.match(finished.stdout, /resuming an earlier deletion/);
  assert.deepEqual(resourcesOf(doomed), { amis: [], snapshots: [], gceImages: [] });
  assert.deepEqual(await keysOf(doomed), []);
  const now = world.inventory();
  assert.deepEqual(now.amis, others.amis.filter((ami) => !ofDoomed.amis.some((id) => ami.endsWith(id))));
  assert.deepEqual(now.snapshots, others.snapshots.filter((snapshot) => !ofDoomed.snapshots.some((id) => snapshot.endsWith(id))));
  const deletions = world.ec2.requests.filter((call) => call.at >= started && ['DeregisterImage', 'DeleteSnapshot'].includes(call.action));
  assert.ok(deletions.every((call) => [...ofDoomed.amis, ...ofDoomed.snapshots].includes(String(call.params.ImageId ?? call.params.SnapshotId))), 'only the uid\'s resources are touched');
});

test('delete refuses a release without --release, before it reads anything', async () => {
  const result = await world.cli(['delete', 'v2.1.0', '--config', world.config, '--apply']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /v2\.1\.0 is a release: delete refuses a release unless --release/);
});
