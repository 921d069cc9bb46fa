import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifySignature } from '../discovery/signature.js';
import { parseMeasurements } from '../discovery/measurements-file.js';
import { OSIMAGE, osimage } from './support/cli.js';
import { REPO, snapshot, workdir, writeConfig } from './support/workdir.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const PSEUDO = `v2.3.0-pre-debug-${COMMIT}`;

/** The embedded default, with the sample-image script found from any working directory. */
const LOCAL = `
store: { url: file://.osimage/bucket }
publicBaseUrl: file://.osimage/bucket
stateDir: .osimage/state
build:
  command: [node, $REPO/dist/scripts/make-sample-image.js, .osimage/images/qemu.raw]
  images: { qemu: .osimage/images/qemu.raw }
signing: { development: true }
qemu: {}
`;

test('the local run publishes raw/, measurements/, the signed lookup table and versions.json', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const result = await osimage(['run', '--config', config, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const table = JSON.parse(result.stdout);
  const bucket = join(dir, '.osimage/bucket');
  // A pseudo version's raw image lives under its digest: a republication with another image never replaces it.
  const digest = createHash('sha256').update(await readFile(join(dir, '.osimage/images/qemu.raw'))).digest('hex');
  assert.deepEqual(table, { qemu: `file://${bucket}/raw/${PSEUDO}/${digest}/qemu.raw` });
  assert.equal((await stat(join(bucket, `raw/${PSEUDO}/${digest}/qemu.raw`))).size, (await stat(join(dir, '.osimage/images/qemu.raw'))).size);
  const published = await readFile(join(bucket, `images/${PSEUDO}.json`));
  assert.deepEqual(JSON.parse(published.toString()), table);
  const publicKey = await readFile(join(dir, '.osimage/state/signing/development-key.pub.pem'), 'utf8');
  assert.ok(verifySignature(published, await readFile(join(bucket, `images/${PSEUDO}.json.sig`), 'utf8'), publicKey));
  const yaml = await readFile(join(bucket, `measurements/qemu/${PSEUDO}/measurements.yaml`));
  assert.equal(parseMeasurements(yaml.toString()).image, PSEUDO);
  assert.ok(verifySignature(yaml, await readFile(join(bucket, `measurements/qemu/${PSEUDO}/measurements.yaml.sig`), 'utf8'), publicKey));
  assert.deepEqual(JSON.parse(await readFile(join(bucket, 'images/versions.json'), 'utf8')), { releases: [], pseudo: [PSEUDO] });
});

test('the README command works on the embedded default', async () => {
  const result = await osimage(['run', '--version', 'v0.1.0-pre-readme', '--commit', COMMIT], { cwd: REPO });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(JSON.parse(result.stdout).qemu, /^file:\/\/.*\/\.osimage\/bucket\/raw\/v0\.1\.0-pre-readme-/);
});

test('a second run of a published release exits 3 and changes nothing', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const args = ['run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT];
  assert.equal((await osimage(args, { cwd: dir })).exitCode, 0);
  const before = await snapshot(join(dir, '.osimage/bucket'));
  const again = await osimage(args, { cwd: dir });
  assert.equal(again.exitCode, 3);
  assert.match(again.stderr, /release v2\.2\.0 is already published.*nothing was changed/);
  assert.equal(again.stdout, '');
  assert.deepEqual(await snapshot(join(dir, '.osimage/bucket')), before);
});

test('a pseudo version may be republished', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const args = ['run', '--config', config, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT];
  assert.equal((await osimage(args, { cwd: dir })).exitCode, 0);
  const again = await osimage(args, { cwd: dir });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /qemu\.raw/);
});

test('a run interrupted midway resumes without redoing finished work', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const args = [OSIMAGE, 'run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT];
  // Interrupt the first run as soon as the raw image is published: the stages after it must not run.
  const first = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, CI: 'true' } });
  let log = '';
  first.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (log.includes('qemu: uploaded') && !first.killed) first.kill('SIGINT');
  });
  const exitCode = await new Promise<number | null>((resolve) => first.on('close', resolve));
  assert.equal(exitCode, 1, log);
  assert.match(log, /stopping: finished work stays in the journal/);
  const bucket = join(dir, '.osimage/bucket');
  await assert.rejects(stat(join(bucket, 'images/v2.2.0.json')), 'nothing was published');
  const raw = join(bucket, 'raw/v2.2.0/qemu.raw');
  const uploadedAt = (await stat(raw)).mtimeMs;

  const second = await osimage(args.slice(1), { cwd: dir });
  assert.equal(second.exitCode, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /publishing the raw image/, 'the raw image was uploaded again');
  assert.equal((await stat(raw)).mtimeMs, uploadedAt);
  assert.ok(JSON.parse(second.stdout).qemu.endsWith('/raw/v2.2.0/qemu.raw'));
});

test('bad input exits 2 before any work', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const result = await osimage(['run', '--config', config, '--version', 'v2.2', '--commit', COMMIT], { cwd: dir });
  assert.equal(result.exitCode, 2);
  const noImage = await osimage(['run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT, '--image', 'qemu=/nonexistent.raw'], { cwd: dir });
  assert.equal(noImage.exitCode, 2);
  assert.match(noImage.stderr, /does not exist: \/nonexistent\.raw/);
  await assert.rejects(stat(join(dir, '.osimage/bucket')));
});

test('--extend lets a published release grow but never change', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, LOCAL);
  const args = ['run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT];
  assert.equal((await osimage(args, { cwd: dir })).exitCode, 0);
  const bucket = join(dir, '.osimage/bucket');
  const before = await snapshot(bucket);

  const same = await osimage([...args, '--extend'], { cwd: dir });
  assert.equal(same.exitCode, 0, same.stderr);
  assert.match(same.stderr, /already has every reference of this run/);
  assert.deepEqual((await snapshot(bucket)).get('images/v2.2.0.json'), before.get('images/v2.2.0.json'));

  // The same release measured differently (here: another PCR policy) is refused, and nothing changes.
  const otherPolicy = await writeConfig(dir, `${LOCAL}measure: { zeroPcrs: [8] }\n`, 'other.yaml');
  const changed = await osimage(['run', '--config', otherPolicy, '--version', 'v2.2.0', '--commit', COMMIT, '--extend'], { cwd: dir });
  assert.equal(changed.exitCode, 3, changed.stderr);
  assert.match(changed.stderr, /measures differently from the one published; nothing was changed/);
  const after = await snapshot(bucket);
  for (const key of ['images/v2.2.0.json', 'measurements/qemu/v2.2.0/measurements.yaml']) assert.deepEqual(after.get(key), before.get(key), key);
});
