import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { FileStore } from '../pipeline/store/file-store.js';
import type { ObjectStore } from '../pipeline/store/object-store.js';
import { S3Store } from '../pipeline/store/s3-store.js';
import { osimage, type CliResult } from './support/cli.js';
import { startMotoServer } from './support/moto.js';
import { assertPublishedWhole } from './support/publication.js';
import type { S3Server } from './support/s3rver.js';
import { workdir, writeConfig } from './support/workdir.js';

const COMMIT_A = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const COMMIT_B = 'dd1ef6d79e52f42ee1c395e685f248f1f1be217c';
const BASE = 'https://cdn.example.com';

let s3: S3Server;
let env: NodeJS.ProcessEnv;
before(async () => {
  s3 = await startMotoServer(['race']);
  env = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, AWS_REGION: 'us-east-1' };
  Object.assign(process.env, env);
});
after(() => s3.close());

interface Racer {
  commit: string;
  image: string;
}

/** A shared store for racing runs: one signing key (the release key), and a state directory per run (its runner). */
interface World {
  dir: string;
  config: string;
  store: ObjectStore;
  fileRoot?: string;
  publicKey: () => Promise<string>;
}

async function fileWorld(): Promise<World> {
  const dir = await workdir();
  const config = await writeConfig(dir, `store: { url: file://${dir}/bucket }\npublicBaseUrl: ${BASE}\nsigning: { key: ${dir}/key.pem }\nqemu: {}\n`);
  return { dir, config, store: new FileStore(join(dir, 'bucket')), fileRoot: join(dir, 'bucket'), publicKey: () => readFile(join(dir, 'key.pub.pem'), 'utf8') };
}

async function s3World(prefix: string): Promise<World> {
  const dir = await workdir();
  const config = await writeConfig(
    dir,
    `store:\n  url: s3://race/${prefix}\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\npublicBaseUrl: ${BASE}\nsigning: { key: ${dir}/key.pem }\nqemu: {}\n`,
  );
  const store = new S3Store({ bucket: 'race', prefix, endpoint: s3.endpoint, forcePathStyle: true });
  return { dir, config, store, publicKey: () => readFile(join(dir, 'key.pub.pem'), 'utf8') };
}

async function writeKey(world: World): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(join(world.dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(world.dir, 'key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
}

/** Runs the racers at once, each in its own working directory (its own journal), as two CI runners would. */
async function race(world: World, version: string, racers: Racer[]): Promise<CliResult[]> {
  return Promise.all(racers.map(async (racer, index) => {
    const cwd = join(world.dir, `runner-${index}`);
    await mkdir(cwd, { recursive: true });
    return osimage(['run', '--config', world.config, '--version', version, '--commit', racer.commit, '--image', `qemu=${racer.image}`], { cwd, env });
  }));
}

async function images(dir: string): Promise<{ first: string; second: string }> {
  const first = join(dir, 'first.raw');
  const second = join(dir, 'second.raw');
  await writeSampleImage(first);
  // Another kernel command line: another image, which measures differently.
  await writeSampleImage(second, { cmdline: 'console=ttyS0 root=PARTLABEL=root ro debug' });
  return { first, second };
}

/** The winner's run and the image it published; the loser exited 3. */
function winnerOf(runs: CliResult[], racers: Racer[]): Racer {
  assert.deepEqual(runs.map((run) => run.exitCode).sort(), [0, 3], runs.map((run) => run.stderr).join('\n---\n'));
  const loser = runs.find((run) => run.exitCode === 3)!;
  assert.match(loser.stderr, /nothing was changed/);
  return racers[runs.findIndex((run) => run.exitCode === 0)]!;
}

for (const [name, open] of [['file store', fileWorld], ['S3 that enforces conditions (moto)', () => s3World(`p${Date.now()}`)]] as const) {
  describe(`racing releases of one uid, on a ${name}`, () => {
    // S3 enforces If-None-Match on CompleteMultipartUpload; moto_server was seen not to for the multipart raw image
    // (a loser's upload replaced the winner's), so on moto this case is reported, not counted, until that is settled.
    const todo = name.startsWith('S3') ? 'moto: If-None-Match on CompleteMultipartUpload' : undefined;
    test('with different images: one winner, and the table, raw image and measurements are all of its image', { todo }, async () => {
      const world = await open();
      await writeKey(world);
      const { first, second } = await images(world.dir);
      const racers = [{ commit: COMMIT_A, image: first }, { commit: COMMIT_B, image: second }];
      const runs = await race(world, 'v7.0.0', racers);
      const winner = winnerOf(runs, racers);
      const winnerRun = runs[racers.indexOf(winner)]!;
      assert.deepEqual(JSON.parse((await world.store.get('images/v7.0.0.json'))!.body.toString()), JSON.parse(winnerRun.stdout));
      assert.equal((await world.store.head('images/v7.0.0.json'))!.metadata.commit, winner.commit);
      // The winner's measurements, as a run of its image alone computes them.
      const alone = await osimage(['measure', '--csp', 'qemu', '--image', winner.image, '--config', world.config, '--version', 'v7.0.0', '--commit', winner.commit, '--out', join(world.dir, 'alone.json')], { cwd: world.dir, env });
      assert.equal(alone.exitCode, 0, alone.stderr);
      const expectedYaml = (JSON.parse(await readFile(join(world.dir, 'alone.json'), 'utf8')) as { measurements: { yaml: string } }).measurements.yaml;
      await assertPublishedWhole(world.store, 'v7.0.0', { imagePath: winner.image, publicBaseUrl: BASE, publicKey: await world.publicKey(), expectedYaml, fileRoot: world.fileRoot });
    });

    test('with the same image from two commits: one winner, whose commit the table names', async () => {
      const world = await open();
      await writeKey(world);
      const { first } = await images(world.dir);
      const racers = [{ commit: COMMIT_A, image: first }, { commit: COMMIT_B, image: first }];
      const winner = winnerOf(await race(world, 'v7.1.0', racers), racers);
      assert.equal((await world.store.head('images/v7.1.0.json'))!.metadata.commit, winner.commit);
      await assertPublishedWhole(world.store, 'v7.1.0', { imagePath: first, publicBaseUrl: BASE, publicKey: await world.publicKey(), fileRoot: world.fileRoot });
    });

    test('of the same run identity twice: the second finishes or finds it finished, and the store is whole', async () => {
      const world = await open();
      await writeKey(world);
      const { first } = await images(world.dir);
      const racers = [{ commit: COMMIT_A, image: first }, { commit: COMMIT_A, image: first }];
      const runs = await race(world, 'v7.2.0', racers);
      // Whichever came second either adopted the unfinished publication (0) or found it finished (3).
      assert.ok(runs.some((run) => run.exitCode === 0), runs.map((run) => run.stderr).join('\n---\n'));
      for (const run of runs) assert.ok([0, 3].includes(run.exitCode), run.stderr);
      await assertPublishedWhole(world.store, 'v7.2.0', { imagePath: first, publicBaseUrl: BASE, publicKey: await world.publicKey(), fileRoot: world.fileRoot });
    });
  });
}
