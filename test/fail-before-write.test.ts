import assert from 'node:assert/strict';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';
import { osimage } from './support/cli.js';
import { workdir, writeConfig } from './support/workdir.js';

/** What can be checked locally is checked before the first cloud write: the image measures, the secrets are there. */
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const TOKEN = 'ya29.fail-before-write';
let gcs: FakeGcs;
let gce: FakeGce;

before(async () => {
  gcs = new FakeGcs(TOKEN, ['osimage-import']);
  await gcs.start();
  gce = new FakeGce({ token: TOKEN, projects: ['osimage-test'], storageBaseUrl: gcs.baseUrl });
  await gce.start();
});
after(async () => {
  await gce?.stop();
  await gcs?.stop();
});

function config(signing: string): string {
  return `
store: { url: file://bucket }
publicBaseUrl: https://cdn.example.com
stateDir: state
signing: ${signing}
qemu: {}
gcp:
  project: osimage-test
  bucket: osimage-import
  endpoints: { storage: ${gcs.baseUrl}, compute: ${gce.baseUrl} }
  accessToken: env:OSIMAGE_GCP_TOKEN
`;
}

async function run(dir: string, image: string, signing: string, env: NodeJS.ProcessEnv = { OSIMAGE_GCP_TOKEN: TOKEN }) {
  const file = await writeConfig(dir, config(signing));
  const before = gcs.requests.length + gce.requests.length;
  const result = await osimage(
    ['run', '--config', file, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT, '--image', `gcp=${image}`, '--image', `qemu=${image}`],
    { cwd: dir, env },
  );
  return { ...result, cloudRequests: gcs.requests.length + gce.requests.length - before };
}

async function published(dir: string): Promise<string[]> {
  return readdir(join(dir, 'bucket'), { recursive: true }).catch(() => []);
}

test('an image that cannot be measured stops the run before any cloud request', async () => {
  const dir = await workdir();
  const image = join(dir, 'blank.raw');
  await writeFile(image, '');
  await truncate(image, 4 * 1024 * 1024); // MiB-aligned, so it passes the size check, but holds no GPT
  const result = await run(dir, image, '{ development: true }');
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /blank\.raw has no GPT/);
  assert.equal(result.cloudRequests, 0, 'no request reached GCS or GCE');
  assert.deepEqual(await published(dir), [], 'nothing was written to the store, not even the qemu image');
});

test('a missing signing key or cloud token stops the run before any cloud request, naming each', async () => {
  const dir = await workdir();
  const image = join(dir, 'disk.raw');
  await writeSampleImage(image);
  const result = await run(dir, image, '{ key: env:OSIMAGE_TEST_NO_SUCH_KEY }', {});
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /signing\.key: the environment variable OSIMAGE_TEST_NO_SUCH_KEY/);
  assert.match(result.stderr, /gcp\.accessToken: the environment variable OSIMAGE_GCP_TOKEN/);
  assert.equal(result.cloudRequests, 0);
  assert.deepEqual(await published(dir), []);

  const unreadable = await run(dir, image, '{ key: env:OSIMAGE_TEST_BAD_KEY }', { OSIMAGE_GCP_TOKEN: TOKEN, OSIMAGE_TEST_BAD_KEY: 'not a key' });
  assert.equal(unreadable.exitCode, 2, unreadable.stderr);
  assert.match(unreadable.stderr, /not a PEM private key/);
  assert.ok(!unreadable.stderr.includes('not a key'), 'the secret itself never reaches the logs');
  assert.equal(unreadable.cloudRequests, 0);
});

test('osimage config validate --env lists every secret the config needs, and fails on a missing one', async () => {
  const dir = await workdir();
  const file = await writeConfig(dir, config('{ key: env:OSIMAGE_TEST_KEY, password: env:OSIMAGE_TEST_PASSWORD }'));
  const missing = await osimage(['config', 'validate', '--env', file], { cwd: dir, env: { OSIMAGE_TEST_KEY: 'pem', OSIMAGE_GCP_TOKEN: TOKEN } });
  assert.equal(missing.exitCode, 2, missing.stderr);
  assert.match(missing.stderr, /✔ signing\.key \(env:OSIMAGE_TEST_KEY\)/);
  assert.match(missing.stderr, /✘ signing\.password \(env:OSIMAGE_TEST_PASSWORD\): the environment variable OSIMAGE_TEST_PASSWORD/);
  assert.match(missing.stderr, /✔ gcp\.accessToken/);
  assert.ok(!missing.stderr.includes(TOKEN));
  const complete = await osimage(['config', 'validate', '--env', file], {
    cwd: dir,
    env: { OSIMAGE_TEST_KEY: 'pem', OSIMAGE_TEST_PASSWORD: '', OSIMAGE_GCP_TOKEN: TOKEN },
  });
  assert.equal(complete.exitCode, 0, complete.stderr);
  assert.equal(JSON.parse(complete.stdout).gcp.project, 'osimage-test');
});
