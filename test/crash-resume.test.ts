import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { MIN_SIZE_MIB, writeSampleImage } from '../scripts/make-sample-image.js';
import { mapBounded } from '../pipeline/bounded.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { holderTag } from '../pipeline/store/local-files.js';
import type { ObjectStore } from '../pipeline/store/object-store.js';
import { S3Store } from '../pipeline/store/s3-store.js';
import { osimage, type CliResult } from './support/cli.js';
import { startMotoServer } from './support/moto.js';
import { assertPublishedWhole } from './support/publication.js';
import type { S3Server } from './support/s3rver.js';
import { workdir, writeConfig } from './support/workdir.js';

/**
 * kill -9 at every crash point a release passes (stage boundaries, each publication write, and inside every local
 * write: temporary file written, before and after it is moved into place), then a rerun of the same command: the
 * store ends complete and of one image, with no temporary file or lock left. A run of another identity never
 * finishes what a killed run started.
 */
const KILL_AT = fileURLToPath(new URL('./support/kill-at.js', import.meta.url));
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const OTHER_COMMIT = 'dd1ef6d79e52f42ee1c395e685f248f1f1be217c';
const BASE = 'https://cdn.example.com';
const VERSION = 'v8.0.0';

let s3: S3Server;
let env: NodeJS.ProcessEnv;
before(async () => {
  s3 = await startMotoServer(['crash']);
  env = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  Object.assign(process.env, env);
});
after(() => s3.close());

interface World {
  dir: string;
  config: string;
  store: ObjectStore;
  fileRoot?: string;
  image: string;
}

let worlds = 0;
async function world(kind: 'file' | 's3'): Promise<World> {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image, { sizeMiB: MIN_SIZE_MIB });
  const common = `publicBaseUrl: ${BASE}\nstateDir: ${dir}/state\nsigning: { development: true }\nqemu: {}\n`;
  if (kind === 'file') {
    const config = await writeConfig(dir, `store: { url: file://${dir}/bucket }\n${common}`);
    return { dir, config, store: new FileStore(join(dir, 'bucket')), fileRoot: join(dir, 'bucket'), image };
  }
  const prefix = `w${process.pid}-${worlds++}`;
  const config = await writeConfig(dir, `store:\n  url: s3://crash/${prefix}\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n${common}`);
  return { dir, config, store: new S3Store({ bucket: 'crash', prefix, endpoint: s3.endpoint, forcePathStyle: true }), image };
}

function run(w: World, extraEnv: NodeJS.ProcessEnv = {}, { commit = COMMIT, image = w.image } = {}): Promise<CliResult> {
  return osimage(['run', '--config', w.config, '--version', VERSION, '--commit', commit, '--image', `qemu=${image}`], {
    cwd: w.dir,
    env: { ...env, NODE_OPTIONS: `--import=${KILL_AT}`, ...extraEnv },
  });
}

async function assertWhole(w: World): Promise<void> {
  const publicKey = await readFile(join(w.dir, 'state/signing/development-key.pub.pem'), 'utf8');
  await assertPublishedWhole(w.store, VERSION, { imagePath: w.image, publicBaseUrl: BASE, publicKey, fileRoot: w.fileRoot });
}

/**
 * Every crash point of an undisturbed run, as `name#occurrence`; of a streamed upload, one point mid-stream. On S3,
 * whose writes are atomic on the server, the stage and publication boundaries (the local writes of its state
 * directory are the file store's, tested there).
 */
async function crashPoints(kind: 'file' | 's3'): Promise<string[]> {
  const w = await world(kind);
  const log = join(w.dir, 'points.log');
  const result = await run(w, { OSIMAGE_TEST_CRASH_LOG: log });
  assert.equal(result.exitCode, 0, result.stderr);
  const seen = new Map<string, number>();
  const points: string[] = [];
  for (const name of (await readFile(log, 'utf8')).trim().split('\n')) {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (kind === 's3' && !/^(stage|publish):/.test(name)) continue;
    if (name !== 'file-store:uploading' || count === 2) points.push(`${name}#${count}`);
  }
  await rm(w.dir, { recursive: true, force: true });
  return points;
}

for (const kind of ['file', 's3'] as const) {
  describe(`kill -9 and rerun, ${kind === 'file' ? 'file store' : 'S3 (moto)'}`, () => {
    test('at every crash point, the rerun leaves the release complete and of one image', async () => {
      const points = await crashPoints(kind);
      const expected = ['stage:upload#1', 'publish:table#1', 'publish:manifest#1', ...(kind === 'file' ? ['local-file:written#1', 'file-store:uploading#2'] : [])];
      for (const point of expected) assert.ok(points.includes(point), `no crash point ${point}: ${points.join(' ')}`);
      const failures: string[] = [];
      await mapBounded(points, 3, async (point) => {
        const w = await world(kind);
        try {
          const killed = await run(w, { OSIMAGE_TEST_KILL_AT: point });
          assert.equal(killed.signal, 'SIGKILL', `not killed at ${point}: ${killed.stderr}`);
          const finished = (await w.store.get('images/versions.json'))?.body.toString().includes(VERSION) ?? false;
          const rerun = await run(w);
          // A publication the kill came after is finished: the rerun says so and changes nothing.
          assert.equal(rerun.exitCode, finished ? 3 : 0, `rerun after a kill at ${point}:\n${rerun.stderr}`);
          await assertWhole(w);
        } catch (error) {
          failures.push(`${point}: ${(error as Error).message}`);
        } finally {
          await rm(w.dir, { recursive: true, force: true });
        }
      });
      assert.deepEqual(failures, []);
    });

    test('a table left by a killed run is finished by its rerun, never by a run of another identity', async () => {
      const w = await world(kind);
      const killed = await run(w, { OSIMAGE_TEST_KILL_AT: 'publish:table#1' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.ok(await w.store.head(`images/${VERSION}.json`), 'the table was written before the kill');
      assert.equal(await w.store.head(`images/${VERSION}.json.sig`), undefined);

      const otherCommit = await run(w, {}, { commit: OTHER_COMMIT });
      assert.equal(otherCommit.exitCode, 3, otherCommit.stderr);
      assert.match(otherCommit.stderr, /another commit/);
      const otherImage = join(w.dir, 'other.raw');
      await writeSampleImage(otherImage, { sizeMiB: MIN_SIZE_MIB, cmdline: 'console=ttyS0 debug' });
      const sameCommitOtherImage = await run(w, {}, { image: otherImage });
      assert.equal(sameCommitOtherImage.exitCode, 3, sameCommitOtherImage.stderr);
      assert.equal(await w.store.head(`images/${VERSION}.json.sig`), undefined, 'no other run signed the table');

      const rerun = await run(w);
      assert.equal(rerun.exitCode, 0, rerun.stderr);
      assert.match(rerun.stderr, /finishing the publication/);
      await assertWhole(w);
    });
  });
}

test('a stale lock of a dead holder does not block the file store', async () => {
  const dir = await workdir();
  const store = new FileStore(join(dir, 'bucket'));
  const { etag } = await store.put('images/versions.json', 'v1');
  // A holder that died: this host, the pid of a process that has exited.
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  await mkdir(join(dir, 'bucket/.osimage-meta/images'), { recursive: true });
  await writeFile(join(dir, 'bucket/.osimage-meta/images/versions.json.lock'), `${holderTag(dead)}-0000`);
  await store.put('images/versions.json', 'v2', { ifMatch: etag });
  assert.equal((await store.get('images/versions.json'))?.body.toString(), 'v2');
});
