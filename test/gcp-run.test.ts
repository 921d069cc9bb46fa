import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { osimage } from './support/cli.js';
import { workdir, writeConfig } from './support/workdir.js';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const TOKEN = 'ya29.run-test-token';

test('osimage run --csp gcp against the fakes publishes a lookup table with the gcp entry', async () => {
  const gcs = new FakeGcs(TOKEN, ['osimage-import']);
  await gcs.start();
  const gce = new FakeGce({ token: TOKEN, projects: ['osimage-test'], storageBaseUrl: gcs.baseUrl });
  await gce.start();
  try {
    const dir = await workdir();
    const config = await writeConfig(
      dir,
      `
store: { url: file://.osimage/bucket }
publicBaseUrl: https://cdn.example.com
stateDir: .osimage/state
build:
  command: [node, $REPO/dist/scripts/make-sample-image.js, .osimage/images/gcp.raw]
  images: { gcp: .osimage/images/gcp.raw }
signing: { development: true }
gcp:
  project: osimage-test
  bucket: osimage-import
  family: osimage-debug
  public: true
  endpoints: { storage: ${gcs.baseUrl}, compute: ${gce.baseUrl} }
  accessToken: env:OSIMAGE_GCP_TOKEN
`,
    );
    const result = await osimage(['run', '--config', config, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT, '--csp', 'gcp'], {
      cwd: dir,
      env: { OSIMAGE_GCP_TOKEN: TOKEN },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(!result.stderr.includes(TOKEN), 'the token never reaches the logs');
    const [name] = gce.imageNames('osimage-test');
    assert.ok(name);
    const reference = `projects/osimage-test/global/images/${name}`;
    assert.deepEqual(JSON.parse(result.stdout), { gcp: { 'sev-es': reference, 'sev-snp': reference } });
    const uid = `v2.3.0-pre-debug-${COMMIT}`;
    const published = JSON.parse(await readFile(join(dir, `.osimage/bucket/images/${uid}.json`), 'utf8'));
    assert.deepEqual(published, { gcp: { 'sev-es': reference, 'sev-snp': reference } });
    assert.equal(gce.image('osimage-test', name)?.status, 'READY');
  } finally {
    await gce.stop();
    await gcs.stop();
  }
});

test('a rerun of a pseudo version with another image is refused; --replace republishes with no leftover', async () => {
  const gcs = new FakeGcs(TOKEN, ['osimage-import']);
  await gcs.start();
  const gce = new FakeGce({ token: TOKEN, projects: ['osimage-test'], storageBaseUrl: gcs.baseUrl });
  await gce.start();
  try {
    const dir = await workdir();
    const config = await writeConfig(
      dir,
      `
store: { url: file://bucket }
publicBaseUrl: https://cdn.example.com
stateDir: state
signing: { development: true }
gcp:
  project: osimage-test
  bucket: osimage-import
  endpoints: { storage: ${gcs.baseUrl}, compute: ${gce.baseUrl} }
  accessToken: env:OSIMAGE_GCP_TOKEN
`,
    );
    const first = join(dir, 'first.raw');
    const second = join(dir, 'second.raw');
    await writeSampleImage(first);
    await writeSampleImage(second, { cmdline: 'console=ttyS0 second' });
    const run = (image: string, ...extra: string[]) =>
      osimage(['run', '--config', config, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT, '--image', `gcp=${image}`, ...extra], {
        cwd: dir,
        env: { OSIMAGE_GCP_TOKEN: TOKEN },
      });
    assert.equal((await run(first)).exitCode, 0);
    const [name] = gce.imageNames('osimage-test');
    const digestOf = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

    const refused = await run(second);
    assert.equal(refused.exitCode, 3, refused.stderr);
    assert.match(refused.stderr, new RegExp(`was made from the image ${await digestOf(first)}, not from this run's image ${await digestOf(second)}`));
    assert.match(refused.stderr, /--replace/);

    const replaced = await run(second, '--replace');
    assert.equal(replaced.exitCode, 0, replaced.stderr);
    assert.deepEqual(gce.imageNames('osimage-test'), [name], 'one image, under the same name');
    assert.match(String(gce.image('osimage-test', name!)?.description), new RegExp(`sha256:${await digestOf(second)}`));
    assert.deepEqual(gcs.objectNames('osimage-import'), [], 'no blob is left behind');
  } finally {
    await gce.stop();
    await gcs.stop();
  }
});
