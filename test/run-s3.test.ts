import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { verifySignature } from '../discovery/signature.js';
import { S3Store } from '../pipeline/store/s3-store.js';
import { FileStore } from '../pipeline/store/file-store.js';
import type { ObjectStore } from '../pipeline/store/object-store.js';
import { osimage } from './support/cli.js';
import { startS3Server, type S3Server } from './support/s3rver.js';
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
  s3 = await startS3Server(['releases']);
  env = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  Object.assign(process.env, env);
});
after(() => s3.close());

/** Every published object's bytes, signatures aside (ECDSA signatures differ on every signing). */
async function published(store: ObjectStore): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for (const key of await store.list('')) {
    if (key.endsWith('.sig') || key.startsWith('journal/') || key.startsWith('raw/')) continue;
    objects.set(key, (await store.get(key))!.body.toString('utf8'));
  }
  return objects;
}

test('a run against s3rver publishes the same objects as a run into the file store', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const fileConfig = await writeConfig(dir, `store: { url: file://file-bucket }\n${COMMON}`);
  const s3Config = await writeConfig(
    dir,
    `store:\n  url: s3://releases/osimage\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n  checksums: false\njournal: store\n${COMMON}`,
    's3.yaml',
  );
  const args = ['--version', 'v2.3.0-pre-s3', '--commit', COMMIT, '--image', `qemu=${image}`];

  const local = await osimage(['run', '--config', fileConfig, ...args], { cwd: dir });
  assert.equal(local.exitCode, 0, local.stderr);
  const remote = await osimage(['run', '--config', s3Config, ...args], { cwd: dir, env });
  assert.equal(remote.exitCode, 0, remote.stderr);
  assert.equal(remote.stdout, local.stdout);

  const s3Store = new S3Store({ bucket: 'releases', prefix: 'osimage', endpoint: s3.endpoint, forcePathStyle: true, checksums: false });
  const fileObjects = await published(new FileStore(join(dir, 'file-bucket')));
  const s3Objects = await published(s3Store);
  assert.deepEqual([...s3Objects.keys()], [...fileObjects.keys()]);
  assert.deepEqual(s3Objects, fileObjects);
  // The raw image arrived whole (s3rver's checksum trap would corrupt it silently).
  const uid = `v2.3.0-pre-s3-${COMMIT}`;
  assert.ok((await s3Store.get(`raw/${uid}/qemu.raw`))!.body.equals(await readFile(image)));
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
  const config = await writeConfig(dir, `store:\n  url: s3://releases/conflict\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n  checksums: false\n${COMMON}`);
  const args = ['run', '--config', config, '--version', 'v3.0.0', '--commit', COMMIT, '--image', `qemu=${image}`];
  assert.equal((await osimage(args, { cwd: dir, env })).exitCode, 0);
  const again = await osimage(args, { cwd: dir, env });
  assert.equal(again.exitCode, 3, again.stderr);
});
