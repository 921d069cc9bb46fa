import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
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

test('a rerun of a pseudo version with another image reuses no gallery version: exit 3, both digests, --replace', async () => {
  const first = join(world.dir, 'images/first.raw');
  const second = join(world.dir, 'images/second.raw');
  await writeSampleImage(first);
  await writeSampleImage(second, { cmdline: 'console=ttyS0 second' });
  const config = world.config();
  Object.assign(config, { store: { url: `file://${join(world.dir, 'pseudo-bucket')}` }, stateDir: join(world.dir, 'pseudo-state') });
  const configPath = join(world.dir, 'pseudo.yaml');
  await writeFile(configPath, JSON.stringify(config));
  const run = (image: string) =>
    osimage(['run', '--config', configPath, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT, '--image', `azure=${image}`], {
      cwd: world.dir,
      env: world.childEnv(),
    });
  const published = await run(first);
  assert.equal(published.exitCode, 0, published.stderr.slice(-4000));
  const cvm = JSON.parse(published.stdout).azure.cvm as string;
  const digest = world.arm.compute.get(cvm)?.tags?.['osimage-digest'];
  assert.match(digest ?? '', /^[0-9a-f]{64}$/, 'the gallery version carries the image digest');

  await rm(join(world.dir, 'pseudo-state'), { recursive: true }); // another machine: only the cloud remembers
  const refused = await run(second);
  assert.equal(refused.exitCode, 3, refused.stderr.slice(-4000));
  assert.match(refused.stderr, new RegExp(`gallery image version os-(cvm|tl)/0\\.\\d+\\.\\d+ was made from the image ${digest}, not from this run's image [0-9a-f]{64}`));
  assert.match(refused.stderr, /--replace/);
  assert.equal(world.arm.compute.get(cvm)?.tags?.['osimage-digest'], digest, 'the published version was not touched');
});

test('--replace deletes the versions and disks an earlier run made for a pseudo uid and publishes afresh', async () => {
  const first = join(world.dir, 'images/replace-first.raw');
  const second = join(world.dir, 'images/replace-second.raw');
  await writeSampleImage(first);
  await writeSampleImage(second, { cmdline: 'console=ttyS0 replaced' });
  const config = world.config();
  Object.assign(config, { store: { url: `file://${join(world.dir, 'replace-bucket')}` }, stateDir: join(world.dir, 'replace-state') });
  const configPath = join(world.dir, 'replace.yaml');
  await writeFile(configPath, JSON.stringify(config));
  const run = (image: string, ...extra: string[]) =>
    osimage(['run', '--config', configPath, '--version', 'v2.4.0-pre-replace', '--commit', COMMIT, '--image', `azure=${image}`, ...extra], {
      cwd: world.dir,
      env: world.childEnv(),
    });
  assert.equal((await run(first)).exitCode, 0);
  const replaced = await run(second, '--replace');
  assert.equal(replaced.exitCode, 0, replaced.stderr.slice(-4000));
  const table = JSON.parse(replaced.stdout) as { azure: { cvm: string; trustedlaunch: string } };
  const digest = createHash('sha256').update(await readFile(second)).digest('hex');
  for (const id of [table.azure.cvm, table.azure.trustedlaunch]) assert.equal(world.arm.compute.get(id)?.tags?.['osimage-digest'], digest);
  const uid = `v2.4.0-pre-replace-${COMMIT}`;
  const versionName = table.azure.cvm.split('/').at(-1)!;
  const leftovers = [...world.arm.compute.resources.keys()].filter((id) => id.includes(versionName) && !id.includes('/versions/'));
  assert.deepEqual(leftovers, [], 'no temporary disk is left behind');
  const versions = [...world.arm.compute.resources.keys()].filter((id) => id.endsWith(`/versions/${versionName}`));
  assert.equal(versions.length, 2, 'one version per security type, the new ones');
  assert.deepEqual(JSON.parse(await readFile(join(world.dir, `replace-bucket/images/${uid}.json`), 'utf8')), table);
});
