import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
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

test('replicate adds an Azure region to one uid\'s versions only; delete removes its versions in every region, and empty definitions only with the flag', async () => {
  const uids: string[] = [];
  for (const commit of COMMITS) {
    const run = await cli(['run', '--config', configPath, '--version', 'v2.3.0-pre-azure', '--commit', commit]);
    assert.equal(run.exitCode, 0, run.stderr.slice(-3000));
    uids.push(`v2.3.0-pre-azure-${commit}`);
  }
  const [first, second] = [versionsOf('os-cvm'), versionsOf('os-tl')];
  assert.equal(first.length, 2);
  assert.equal(second.length, 2);

  // Replication adds the region to both versions of the one uid and changes nothing else.
  const tableFile = join(world.dir, 'bucket', 'images', `${uids[0]}.json`);
  const table = await readFile(tableFile, 'utf8');
  const regionsOf = () =>
    [...world.arm.compute.resources.values()]
      .filter((resource) => resource.type === 'Microsoft.Compute/galleries/images/versions')
      .map((resource) => `${resource.id.split('/').slice(-3)[0]} ${resource.name} ${resource.properties.publishingProfile.targetRegions.map((r: { name: string }) => r.name).join(',')} ${resource.properties.provisioningState}`)
      .sort();
  const regionsBefore = regionsOf();
  const replicated = await cli(['replicate', uids[0]!, '--config', configPath, '--azure-region', 'northeurope']);
  assert.equal(replicated.exitCode, 0, replicated.stderr.slice(-3000));
  assert.equal(replicated.stdout, table, 'the table is unchanged: version ids are global');
  assert.equal(await readFile(tableFile, 'utf8'), table);
  const name = JSON.parse(table).azure.cvm.split('/').pop();
  assert.deepEqual(
    regionsOf(),
    regionsBefore.map((line) => (line.includes(` ${name} `) ? line.replace(' Succeeded', ',northeurope Succeeded') : line)).sort(),
  );

  const plan = await cli(['delete', uids[0]!, '--config', configPath]);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, /azure +westeurope,northeurope +image-version +\/subscriptions\/.*\/os-cvm\/versions\/0\.2003000\.\d+/);
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
