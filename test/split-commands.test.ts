import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { parseManifest } from '../discovery/manifest.js';
import { verifySignature } from '../discovery/signature.js';
import { osimage } from './support/cli.js';
import { snapshot, workdir, writeConfig } from './support/workdir.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';

function config(bucket: string): string {
  return `store: { url: file://${bucket} }\npublicBaseUrl: https://cdn.example.com\nstateDir: .osimage/state\nsigning: { development: true }\nqemu: {}\n`;
}

/** Published files by path; signatures are checked, not compared (ECDSA signatures differ on every signing). */
async function publishedFiles(dir: string, publicKey: string): Promise<Map<string, Buffer>> {
  const files = await snapshot(dir);
  for (const [path, body] of files) {
    if (path.endsWith('.sig')) {
      assert.ok(verifySignature(files.get(path.slice(0, -'.sig'.length))!, body.toString(), publicKey), `${path} does not verify`);
      files.delete(path);
    } else if (path === 'images/manifest.json') {
      files.set(path, Buffer.from(JSON.stringify(parseManifest(body, path, publicKey)))); // its signature is checked
    } else if (path.startsWith('.osimage-meta/')) {
      files.delete(path); // provenance metadata carries the publication time
    }
  }
  return files;
}

test('osimage run and the split commands (upload, measure, publish) publish identical files', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const inputs = ['--version', 'v2.4.0', '--commit', COMMIT];
  const runConfig = await writeConfig(dir, config('run-bucket'), 'run.yaml');
  const splitConfig = await writeConfig(dir, config('split-bucket'), 'split.yaml');

  const run = await osimage(['run', '--config', runConfig, ...inputs, '--image', `qemu=${image}`], { cwd: dir });
  assert.equal(run.exitCode, 0, run.stderr);

  const upload = await osimage(
    ['upload', '--csp', 'qemu', '--config', splitConfig, ...inputs, '--image', `qemu=${image}`, '--out', 'results/qemu-upload.json'],
    { cwd: dir },
  );
  assert.equal(upload.exitCode, 0, upload.stderr);
  const measure = await osimage(
    ['measure', '--csp', 'qemu', '--image', image, '--config', splitConfig, ...inputs, '--out', 'results/qemu-measure.json'],
    { cwd: dir },
  );
  assert.equal(measure.exitCode, 0, measure.stderr);
  const publish = await osimage(['publish', '--config', splitConfig, ...inputs, '--results', 'results'], { cwd: dir });
  assert.equal(publish.exitCode, 0, publish.stderr);
  assert.equal(publish.stdout, run.stdout);

  const publicKey = await readFile(join(dir, '.osimage/state/signing/development-key.pub.pem'), 'utf8');
  const fromRun = await publishedFiles(join(dir, 'run-bucket'), publicKey);
  const fromSplit = await publishedFiles(join(dir, 'split-bucket'), publicKey);
  assert.deepEqual([...fromSplit.keys()].sort(), [...fromRun.keys()].sort());
  for (const [path, body] of fromRun) assert.ok(fromSplit.get(path)!.equals(body), `${path} differs`);
});

test('publish refuses results of another run', async () => {
  const dir = await workdir();
  const image = join(dir, 'qemu.raw');
  await writeSampleImage(image);
  const path = await writeConfig(dir, config('bucket'));
  const upload = await osimage(
    ['upload', '--csp', 'qemu', '--config', path, '--version', 'v2.4.0', '--commit', COMMIT, '--image', `qemu=${image}`, '--out', 'results/qemu.json'],
    { cwd: dir },
  );
  assert.equal(upload.exitCode, 0, upload.stderr);
  const other = await osimage(['publish', '--config', path, '--version', 'v2.5.0', '--commit', COMMIT, '--results', 'results'], { cwd: dir });
  assert.equal(other.exitCode, 2);
  assert.match(other.stderr, /belongs to v2\.4\.0 at cc0de5c.*not to v2\.5\.0/);
  const incomplete = await osimage(['publish', '--config', path, '--version', 'v2.4.0', '--commit', COMMIT, '--results', 'results'], { cwd: dir });
  assert.equal(incomplete.exitCode, 1);
  assert.match(incomplete.stderr, /no image reference or measurements for qemu; nothing is published/);
  await assert.rejects(readFile(join(dir, 'bucket/images/v2.4.0.json')));
});
