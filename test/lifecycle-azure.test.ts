import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { osimage } from './support/cli.js';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION } from './support/azure-world.js';
import { REPO } from './support/workdir.js';

/** `osimage delete` of Azure images against Azurite and the fake ARM, as a user runs it. */
const COMMITS = ['cc0de5c68d41f31dd0b284d574f137e0b0ad106b', 'dd0de5c68d41f31dd0b284d574f137e0b0ad106b'];
const IMAGES = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_test/images`;
let world: AzureWorld;
let configPath: string;

before(async () => {
  world = await AzureWorld.start();
  const config = world.config();
  const image = join(world.dir, 'images/azure.raw');
  Object.assign(config, {
    store: { url: `file://${join(world.dir, 'bucket')}` },
    stateDir: join(world.dir, 'state'),
    build: { command: ['node', join(REPO, 'dist/scripts/make-sample-image.js'), image], images: { azure: image } },
  });
  configPath = join(world.dir, 'release.yaml');
  await writeFile(configPath, JSON.stringify(config));
});
after(async () => {
  await world?.stop();
});

const cli = (args: string[]) => osimage(args, { cwd: world.dir, env: world.childEnv() });
const versionsOf = (definition: string) =>
  [...world.arm.compute.resources.values()].filter((resource) => resource.id.toLowerCase().startsWith(`${IMAGES}/${definition}/versions/`.toLowerCase())).map((resource) => resource.name);

test('delete removes the gallery versions of one uid, and empty image definitions only with the flag', async () => {
  const uids: string[] = [];
  for (const commit of COMMITS) {
    const run = await cli(['run', '--config', configPath, '--version', 'v2.3.0-pre-azure', '--commit', commit]);
    assert.equal(run.exitCode, 0, run.stderr.slice(-3000));
    uids.push(`v2.3.0-pre-azure-${commit}`);
  }
  const [first, second] = [versionsOf('os-cvm'), versionsOf('os-tl')];
  assert.equal(first.length, 2);
  assert.equal(second.length, 2);

  const plan = await cli(['delete', uids[0]!, '--config', configPath]);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, /azure +westeurope +image-version +\/subscriptions\/.*\/os-cvm\/versions\/0\.2003000\.\d+/);
  assert.equal(versionsOf('os-cvm').length, 2, 'the plan deletes nothing');

  const deleted = await cli(['delete', uids[0]!, '--config', configPath, '--apply', '--delete-empty-definitions']);
  assert.equal(deleted.exitCode, 0, deleted.stderr.slice(-3000));
  for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(deleted.stderr, pattern, 'a secret reached the logs');
  assert.equal(versionsOf('os-cvm').length, 1, "the other uid's version stays");
  assert.equal(versionsOf('os-tl').length, 1);
  assert.ok(world.arm.compute.get(`${IMAGES}/os-cvm`), 'a definition with versions left stays');

  const last = await cli(['delete', uids[1]!, '--config', configPath, '--apply', '--delete-empty-definitions']);
  assert.equal(last.exitCode, 0, last.stderr.slice(-3000));
  assert.deepEqual([versionsOf('os-cvm'), versionsOf('os-tl')], [[], []]);
  assert.equal(world.arm.compute.get(`${IMAGES}/os-cvm`), undefined, 'the emptied definition goes with the flag');
  assert.equal(world.arm.compute.get(`${IMAGES}/os-tl`), undefined);
  assert.ok(world.arm.compute.get('/subscriptions/' + SUBSCRIPTION + '/resourceGroups/' + RESOURCE_GROUP + '/providers/Microsoft.Compute/galleries/osimage_test'), 'the gallery stays');
});
