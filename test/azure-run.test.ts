import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { osimage } from './support/cli.js';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION } from './support/azure-world.js';
import { REPO } from './support/workdir.js';

/** The whole pipeline, as a user runs it: `osimage run --csp azure` against Azurite and the fake ARM server. */
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const VERSIONS = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/osimage_test/images`;
let world: AzureWorld;

before(async () => {
  world = await AzureWorld.start();
});
after(async () => {
  await world?.stop();
});

test('osimage run publishes a lookup table whose Azure entries are the gallery versions', async () => {
  const config = world.config();
  const image = join(world.dir, 'images/azure.raw');
  Object.assign(config, {
    store: { url: `file://${join(world.dir, 'bucket')}` },
    stateDir: join(world.dir, 'state'),
    build: { command: ['node', join(REPO, 'dist/scripts/make-sample-image.js'), image], images: { azure: image } },
  });
  const configPath = join(world.dir, 'release.yaml');
  await writeFile(configPath, JSON.stringify(config));

  const result = await osimage(['run', '--config', configPath, '--version', 'v2.2.0', '--commit', COMMIT, '--csp', 'azure'], {
    cwd: world.dir,
    env: world.childEnv(),
  });
  assert.equal(result.exitCode, 0, result.stderr.slice(-4000));
  for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(result.stderr, pattern, 'a secret reached the logs');
  const expected = { azure: { cvm: `${VERSIONS}/os-cvm/versions/2.2.0`, trustedlaunch: `${VERSIONS}/os-tl/versions/2.2.0` } };
  assert.deepEqual(JSON.parse(result.stdout), expected);
  assert.deepEqual(JSON.parse(await readFile(join(world.dir, 'bucket/images/v2.2.0.json'), 'utf8')), expected);
  assert.equal(world.arm.compute.get(expected.azure.cvm)?.properties.provisioningState, 'Succeeded');
});
