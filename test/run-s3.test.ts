import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { parseManifest } from '../discovery/manifest.js';
import { verifySignature } from '../discovery/signature.js';
import { S3Store } from '../pipeline/store/s3-store.js';
import { FileStore } from '../pipeline/store/file-store.js';
import type { ObjectStore } from '../pipeline/store/object-store.js';
import { osimage } from './support/cli.js';
import { startMotoServer } from './support/moto.js';
import type { S3Server } from './support/s3rver.js';
import { workdir, writeConfig } from './support/workdir.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const COMMON = `
publicBaseUrl: https://cdn.example.com
stateDir: .osimage/state
signing: { development: true }
qemu: {}
`;

let s3: S3Server;
let env: NodeJS.ProcessEnv;
before(async () => {
  s3 = await startMotoServer(['releases']);
  env = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  Object.assign(process.env, env);
});
after(() => s3.close());

/** Every published object's bytes, signatures aside (ECDSA signatures differ on every signing). */
async function published(store: ObjectStore): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for (const key of await store.list('')) {
    if (key.endsWith('.sig') || key.startsWith('journal/') || key.startsWith('raw/')) continue;
    const body = (await store.get(key))!.body;
    objects.set(key, key === 'images/manifest.json' ? JSON.stringify(parseManifest(body, key)) : body.toString('utf8'));
  }
  return objects;
}

test('a run against S3 publishes the same objects as a run into the file store', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const fileConfig = await writeConfig(dir, `store: { url: file://file-bucket }\n${COMMON}`);
  const s3Config = await writeConfig(
    dir,
    `store:\n  url: s3://releases/osimage\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\njournal: store\n${COMMON}`,
    's3.yaml',
  );
  const args = ['--version', 'v2.3.0-pre-s3', '--commit', COMMIT, '--image', `qemu=${image}`];

  const local = await osimage(['run', '--config', fileConfig, ...args], { cwd: dir });
  assert.equal(local.exitCode, 0, local.stderr);
  const remote = await osimage(['run', '--config', s3Config, ...args], { cwd: dir, env });
  assert.equal(remote.exitCode, 0, remote.stderr);
  assert.equal(remote.stdout, local.stdout);

  const s3Store = new S3Store({ bucket: 'releases', prefix: 'osimage', endpoint: s3.endpoint, forcePathStyle: true });
  const fileObjects = await published(new FileStore(join(dir, 'file-bucket')));
  const s3Objects = await published(s3Store);
  assert.deepEqual([...s3Objects.keys()], [...fileObjects.keys()]);
  assert.deepEqual(s3Objects, fileObjects);
  // The raw image arrived whole.
  const uid = `v2.3.0-pre-s3-${COMMIT}`;
  const rawUrl = JSON.parse(remote.stdout).qemu as string;
  assert.ok((await s3Store.get(rawUrl.slice('https://cdn.example.com/'.length)))!.body.equals(await readFile(image)));
  // The journal lives in the bucket, where CI jobs on other machines find it.
  assert.ok(await s3Store.head(`journal/${uid}/qemu.json`));
  const publicKey = await readFile(join(dir, '.osimage/state/signing/development-key.pub.pem'), 'utf8');
  const table = await s3Store.get(`images/${uid}.json`);
  assert.ok(verifySignature(table!.body, (await s3Store.get(`images/${uid}.json.sig`))!.body.toString(), publicKey));
  assert.equal(table!.metadata.commit, COMMIT);
});

test('a release published twice to S3 is refused by the conditional write', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const config = await writeConfig(dir, `store:\n  url: s3://releases/conflict\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n${COMMON}`);
  const args = ['run', '--config', config, '--version', 'v3.0.0', '--commit', COMMIT, '--image', `qemu=${image}`];
  assert.equal((await osimage(args, { cwd: dir, env })).exitCode, 0);
  const again = await osimage(args, { cwd: dir, env });
  assert.equal(again.exitCode, 3, again.stderr);
});

/** A config publishing to its own prefix of the moto bucket, and the store to read it back. */
async function s3Release(dir: string, prefix: string) {
  const config = await writeConfig(dir, `store:\n  url: s3://releases/${prefix}\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n${COMMON}`, `${prefix}.yaml`);
  return { config, store: new S3Store({ bucket: 'releases', prefix, endpoint: s3.endpoint, forcePathStyle: true }) };
}

test('racing publications of different uids both land in versions.json', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const { config, store } = await s3Release(dir, 'index');
  const versions = ['v5.0.0', 'v5.1.0', 'v5.2.0'];
  const runs = await Promise.all(versions.map((version) =>
    osimage(['run', '--config', config, '--version', version, '--commit', COMMIT, '--image', `qemu=${image}`], { cwd: dir, env })));
  for (const run of runs) assert.equal(run.exitCode, 0, run.stderr);
  // Each read-modify-write was conditional on the ETag it read, so no run lost another's entry.
  assert.deepEqual(JSON.parse((await store.get('images/versions.json'))!.body.toString()).releases, [...versions].reverse());
});

test('--extend with nothing new rewrites nothing on S3, and a changed reference is refused', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const { config, store } = await s3Release(dir, 'extend');
  const args = ['run', '--config', config, '--version', 'v6.0.0', '--commit', COMMIT, '--image', `qemu=${image}`];
  assert.equal((await osimage(args, { cwd: dir, env })).exitCode, 0);
  const before = await store.head('images/v6.0.0.json');
  const same = await osimage([...args, '--extend'], { cwd: dir, env });
  assert.equal(same.exitCode, 0, same.stderr);
  assert.equal((await store.head('images/v6.0.0.json'))?.etag, before?.etag, 'nothing new: the table is not rewritten');
  // Another CDN would change the published qemu reference: a conflict, and the table stays as it was.
  const moved = await writeConfig(dir, (await readFile(config, 'utf8')).replace('https://cdn.example.com', 'https://other.example.com'), 'moved.yaml');
  const changed = await osimage(['run', '--config', moved, ...args.slice(3), '--extend'], { cwd: dir, env });
  assert.equal(changed.exitCode, 3, changed.stderr);
  assert.equal((await store.head('images/v6.0.0.json'))?.etag, before?.etag, 'a conflict leaves the table as it was');
});
