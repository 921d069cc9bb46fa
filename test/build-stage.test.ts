import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRawImage } from '../steps/build.js';
import { osimage } from './support/cli.js';
import { workdir, writeConfig } from './support/workdir.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';

function config(build: string): string {
  return `store: { url: file://bucket }\npublicBaseUrl: https://cdn.example.com\nstateDir: state\nsigning: { development: true }\nqemu: {}\n${build}`;
}

test('a failing build command fails the run with its exit code and last lines, and publishes nothing', async () => {
  const dir = await workdir();
  const path = await writeConfig(
    dir,
    config('build:\n  command: [bash, -c, "for i in $(seq 1 30); do echo line $i; done; echo broken >&2; exit 7"]\n  images: { qemu: out.raw }\n'),
  );
  const result = await osimage(['run', '--config', path, '--version', 'v1.0.0', '--commit', COMMIT], { cwd: dir });
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /the image build command failed with exit code 7; its last lines:\n(.|\n)*line 30\nbroken/);
  assert.doesNotMatch(result.stderr.split('its last lines:')[1]!, /line 10\n/, 'only the last lines are repeated');
  assert.match(result.stderr, /"stream":"stdout".*"msg":"line 1"/, 'the whole output is in the log');
});

test('the build command gets the uid, and a build that overruns its timeout is stopped', async () => {
  const dir = await workdir();
  const path = await writeConfig(dir, config('build:\n  command: [bash, -c, "echo uid=$OSIMAGE_UID; sleep 30"]\n  timeoutMinutes: 0.02\n  images: { qemu: out.raw }\n'));
  const result = await osimage(['run', '--config', path, '--version', 'v1.0.0-pre-x', '--commit', COMMIT], { cwd: dir });
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /timed out after 0\.02 minutes/);
  assert.match(result.stderr, new RegExp(`uid=v1.0.0-pre-x-${COMMIT}`));
});

test('raw images must be regular files of a whole number of MiB', async () => {
  const dir = await workdir();
  const path = await writeConfig(dir, config(''));
  const odd = join(dir, 'odd.raw');
  await writeFile(odd, 'x');
  await truncate(odd, 1024 * 1024 + 512);
  const result = await osimage(['run', '--config', path, '--version', 'v1.0.0', '--commit', COMMIT, '--image', `qemu=${odd}`], { cwd: dir });
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /is 1049088 bytes, not a whole number of MiB/);
  const directory = await osimage(['run', '--config', path, '--version', 'v1.0.0', '--commit', COMMIT, '--image', `qemu=${dir}`], { cwd: dir });
  assert.equal(directory.exitCode, 2);
  assert.match(directory.stderr, /is not a regular file/);
  const none = await osimage(['run', '--config', path, '--version', 'v1.0.0', '--commit', COMMIT], { cwd: dir });
  assert.equal(none.exitCode, 2);
  assert.match(none.stderr, /no raw image for qemu(.|\n)*--image qemu=PATH/);
});

test('the build stage records each image digest: the SHA-256 of its bytes, as sha256sum prints it', async () => {
  const dir = await workdir();
  const path = join(dir, 'disk.raw');
  await writeFile(path, Buffer.alloc(3 * 1024 * 1024, 0x5a));
  const image = await checkRawImage('qemu', path);
  const sha256sum = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(image.digest, sha256sum);
});
