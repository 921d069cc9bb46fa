import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { osimage } from './support/cli.js';
import { workdir, writeConfig } from './support/workdir.js';

/** One image, one digest: the qemu leg against a local store, as a user runs it. */
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const CONFIG = 'store: { url: file://bucket }\npublicBaseUrl: https://cdn.example.com\nstateDir: state\nsigning: { development: true }\nqemu: {}\n';

async function images(dir: string): Promise<{ first: string; second: string; digests: [string, string] }> {
  const first = join(dir, 'first.raw');
  const second = join(dir, 'second.raw');
  await writeSampleImage(first);
  await writeSampleImage(second, { cmdline: 'console=ttyS0 second' });
  const digest = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
  return { first, second, digests: [await digest(first), await digest(second)] };
}

function run(dir: string, config: string, version: string, image: string, ...extra: string[]) {
  return osimage(['run', '--config', config, '--version', version, '--commit', COMMIT, '--image', `qemu=${image}`, ...extra], { cwd: dir });
}

test('the raw image, the measurements and the table carry the image digest as metadata; journal entries too', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, CONFIG);
  const { first, digests } = await images(dir);
  const result = await run(dir, config, 'v2.4.0', first);
  assert.equal(result.exitCode, 0, result.stderr);
  const store = new FileStore(join(dir, 'bucket'));
  assert.equal((await store.head('raw/v2.4.0/qemu.raw'))?.metadata['osimage-digest'], digests[0]);
  assert.equal((await store.head('measurements/qemu/v2.4.0/measurements.yaml'))?.metadata['osimage-digest'], digests[0]);
  assert.equal((await store.head('images/v2.4.0.json'))?.metadata['osimage-digest-qemu'], digests[0]);
  const journal = JSON.parse(await readFile(join(dir, 'state/journal/v2.4.0/qemu.json'), 'utf8'));
  assert.equal(journal['raw-image'].digest, digests[0]);
  const measurements = await readFile(join(dir, 'bucket/measurements/qemu/v2.4.0/measurements.yaml'), 'utf8');
  assert.doesNotMatch(measurements, /digest/, 'the digest is metadata, not a key of the measurements file');
});

test('a rerun with another image is refused: a release names both digests, a pseudo version offers --replace', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, CONFIG);
  const { first, second, digests } = await images(dir);
  const pseudo = 'v2.5.0-pre-debug';
  const uid = `${pseudo}-${COMMIT}`;
  assert.equal((await run(dir, config, pseudo, first)).exitCode, 0);
  const same = await run(dir, config, pseudo, first);
  assert.equal(same.exitCode, 0, same.stderr);
  assert.doesNotMatch(same.stderr, /publishing the raw image/, 'the same image is reused, not uploaded again');

  const refused = await run(dir, config, pseudo, second);
  assert.equal(refused.exitCode, 3, refused.stderr);
  assert.match(refused.stderr, new RegExp(`made from the image ${digests[0]}, not from this run's image ${digests[1]}`));
  assert.match(refused.stderr, /--replace/);
  const store = new FileStore(join(dir, 'bucket'));
  assert.equal((await store.head(`raw/${uid}/qemu.raw`))?.metadata['osimage-digest'], digests[0], 'nothing was changed');

  const replaced = await run(dir, config, pseudo, second, '--replace');
  assert.equal(replaced.exitCode, 0, replaced.stderr);
  assert.equal((await store.head(`raw/${uid}/qemu.raw`))?.metadata['osimage-digest'], digests[1]);
  assert.equal((await store.head(`measurements/qemu/${uid}/measurements.yaml`))?.metadata['osimage-digest'], digests[1]);
  assert.deepEqual((await readdir(join(dir, 'bucket/raw'), { recursive: true })).sort(), [uid, `${uid}/qemu.raw`], 'nothing left behind');

  // A record lost from the journal changes nothing: the object's own metadata is checked.
  await rm(join(dir, `state/journal/${uid}`), { recursive: true });
  const lostJournal = await run(dir, config, pseudo, first);
  assert.equal(lostJournal.exitCode, 3, lostJournal.stderr);
  assert.match(lostJournal.stderr, new RegExp(`the raw image .*/raw/${uid}/qemu.raw was made from the image ${digests[1]}`));
});

test('a release refuses another image with exit 3 and refuses --replace', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, CONFIG);
  const { first, second, digests } = await images(dir);
  // An upload job finished, the publication did not: the release is not published yet, but its image is uploaded.
  const upload = await osimage(['upload', '--csp', 'qemu', '--config', config, '--version', 'v2.6.0', '--commit', COMMIT, '--image', `qemu=${first}`, '--out', 'r/u.json'], { cwd: dir });
  assert.equal(upload.exitCode, 0, upload.stderr);
  const refused = await run(dir, config, 'v2.6.0', second);
  assert.equal(refused.exitCode, 3, refused.stderr);
  assert.match(refused.stderr, new RegExp(`${digests[0]}.*${digests[1]}`));
  assert.match(refused.stderr, /release v2\.6\.0 is one image/);
  const replace = await run(dir, config, 'v2.6.0', second, '--replace');
  assert.equal(replace.exitCode, 2);
  assert.match(replace.stderr, /--replace is refused for release v2\.6\.0/);
});

test('publish refuses an upload result and a measure result of different images', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, CONFIG);
  const { first, second } = await images(dir);
  const inputs = ['--config', config, '--version', 'v2.7.0', '--commit', COMMIT];
  const upload = await osimage(['upload', '--csp', 'qemu', ...inputs, '--image', `qemu=${first}`, '--out', 'results/qemu-upload.json'], { cwd: dir });
  assert.equal(upload.exitCode, 0, upload.stderr);
  assert.match(await readFile(join(dir, 'results/qemu-upload.json'), 'utf8'), /"digest": "[0-9a-f]{64}"/);
  const measure = await osimage(['measure', '--csp', 'qemu', '--image', second, ...inputs, '--out', 'results/qemu-measure.json'], { cwd: dir });
  assert.equal(measure.exitCode, 0, measure.stderr);
  const publish = await osimage(['publish', ...inputs, '--results', 'results'], { cwd: dir });
  assert.equal(publish.exitCode, 2, publish.stderr);
  assert.match(publish.stderr, /is of the qemu image [0-9a-f]{64}, but .* is of the image [0-9a-f]{64}/);
  await assert.rejects(readFile(join(dir, 'bucket/images/v2.7.0.json')));
});
