import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifySignature } from '../discovery/signature.js';
import { LifecycleWorld, REGIONS } from './support/lifecycle-world.js';

let world: LifecycleWorld;

before(async () => {
  world = await LifecycleWorld.start();
});
after(() => world.stop());

const WRITES = new Set(['CopyImage', 'CreateTags', 'ModifyImageAttribute', 'RegisterImage', 'ImportSnapshot', 'DeregisterImage', 'DeleteSnapshot']);

test('replicate copies the AMI to exactly the new region, with the original tags and sharing, and grows the signed table', async () => {
  const uid = await world.publish('v2.3.0-pre-wide');
  const tableKey = `images/${uid}.json`;
  const original = (await world.store.get(tableKey))!;
  const table = JSON.parse(original.body.toString('utf8'));
  const source = world.ec2.images.find((image) => image.imageId === table.aws['us-east-1'])!;
  const amisBefore = world.inventory().amis;
  const started = Date.now();

  const config = await world.configWithRegions([...REGIONS, 'eu-central-1'], 'wider.yaml');
  const result = await world.cli(['replicate', uid, '--config', config, '--aws-region', 'eu-central-1']);
  assert.equal(result.exitCode, 0, result.stderr);

  const grown = JSON.parse(result.stdout);
  const copy = world.ec2.imagesIn('eu-central-1').find((image) => image.imageId === grown.aws['eu-central-1']);
  assert.ok(copy, 'the new region has the AMI the table names');
  assert.equal(copy.sourceImageId, source.imageId, 'copied from the published AMI: no upload, no import');
  assert.equal(copy.state, 'available');
  assert.deepEqual({ ...grown, aws: { ...grown.aws, 'eu-central-1': undefined } }, { ...table, aws: { ...table.aws, 'eu-central-1': undefined } }, 'every other reference is unchanged');
  assert.deepEqual(Object.keys(grown.aws).sort(), [...REGIONS, 'eu-central-1'].sort());
  assert.deepEqual(JSON.parse((await world.store.get(tableKey))!.body.toString('utf8')), grown, 'the published table is the grown one');
  assert.deepEqual(new Map(world.ec2.tags.get(copy.imageId)), new Map(world.ec2.tags.get(source.imageId)), 'the copy carries every tag of the original');
  assert.ok(copy.launchGroups.has('all'), 'public like the original');
  assert.deepEqual(world.inventory().amis, [...amisBefore, `eu-central-1/${copy.imageId}`].sort(), 'one AMI more, nothing else');
  const writes = world.ec2.requests.filter((request) => request.at >= started && WRITES.has(request.action) && !request.error);
  assert.ok(writes.length > 0 && writes.every((request) => request.region === 'eu-central-1'), `writes only in the new region: ${writes.map((w) => `${w.action}@${w.region}`).join(', ')}`);

  const publicKey = await readFile(join(world.dir, '.osimage/state/signing/development-key.pub.pem'), 'utf8');
  const signature = (await world.store.get(`${tableKey}.sig`))!.body.toString('utf8').trim();
  assert.ok(verifySignature(Buffer.from(result.stdout), signature, publicKey), 'the signature is of the grown table');
  const lookup = await world.lookup(uid, 'aws', '--region', 'eu-central-1');
  assert.equal(lookup.stdout.trim(), copy.imageId);

  const again = await world.cli(['replicate', uid, '--config', config, '--aws-region', 'eu-central-1']);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.equal(again.stdout, result.stdout, 'a rerun changes nothing');
  assert.equal(world.ec2.imagesIn('eu-central-1').length, 1, 'and copies nothing twice');
});

test('replicate refuses a uid that is not published, and a call without regions', async () => {
  const missing = await world.cli(['replicate', 'v9.9.9', '--config', world.config, '--aws-region', 'eu-central-1']);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /v9\.9\.9 is not published/);
  const none = await world.cli(['replicate', 'v9.9.9', '--config', world.config]);
  assert.equal(none.exitCode, 2);
});
