import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { measureConfig } from '../config/measure.js';
import { formatMeasurements, parseMeasurements } from '../discovery/measurements-file.js';
import { buildSampleUki, writeSampleImage } from '../scripts/make-sample-image.js';
import { measureImage } from '../steps/measure/measure-image.js';
import { pesignDigest, systemdMeasurePcr11, tempDir } from './measure-fixtures.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const osimage = join(root, 'bin/osimage.js');

test('the sample image script writes a valid, sparse, reproducible GPT disk whose ESP Debian tools accept', async (t) => {
  const dir = await tempDir(t);
  const first = join(dir, 'a.raw');
  const second = join(dir, 'b.raw');
  await run(process.execPath, [join(root, 'dist/scripts/make-sample-image.js'), first, '--size-mib', '40']);
  await writeSampleImage(second, { sizeMiB: 40 });

  const info = await stat(first);
  assert.equal(info.size, 40 * 1024 * 1024);
  assert.ok(info.blocks * 512 < 4 * 1024 * 1024, `the image is sparse (${info.blocks * 512} bytes allocated)`);
  const digest = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
  assert.equal(await digest(first), await digest(second), 'same arguments, same bytes');

  const verify = await run('sgdisk', ['-v', first]);
  assert.match(verify.stdout, /No problems found/);
  const esp = join(dir, 'esp.img');
  await run('dd', [`if=${first}`, `of=${esp}`, 'bs=1M', 'skip=1', 'count=16', 'status=none']);
  await run('fsck.vfat', ['-n', esp]);
  const uki = join(dir, 'uki.efi');
  await run('mcopy', ['-i', esp, '::/EFI/BOOT/BOOTX64.EFI', uki]);
  assert.deepEqual(await readFile(uki), buildSampleUki());
});

test('the sample image measures to what pesign and systemd-measure compute from its UKI', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'sample.raw');
  await writeSampleImage(image, { sizeMiB: 24 });
  const uki = join(dir, 'uki.efi');
  await writeFile(uki, buildSampleUki());
  const parts = { linux: '', osrel: '', cmdline: '', initrd: '' };
  for (const name of ['linux', 'osrel', 'cmdline', 'initrd'] as const) {
    parts[name] = join(dir, name);
    await run('objcopy', ['-O', 'binary', '-j', `.${name}`, uki, parts[name]]);
  }

  const { file, eventLog } = await measureImage(image, 'qemu', 'v0.1.0', measureConfig.parse({}));

  assert.equal(eventLog.bootChain[0]!.authenticode, await pesignDigest(uki));
  assert.equal(file.measurements[11]!.expected, await systemdMeasurePcr11(parts));
  assert.equal(eventLog.events.filter((event) => event.pcr === 4).at(-1)!.digest, await pesignDigest(parts.linux), 'the kernel is the last PCR 4 event');
});

test('osimage measure prints the measurements file of an image', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'sample.raw');
  await writeSampleImage(image, { sizeMiB: 24 });
  const { stdout } = await run(process.execPath, [osimage, 'measure', '--image', image, '--csp', 'aws', '--uid', 'v2.2.0']);
  const expected = await measureImage(image, 'aws', 'v2.2.0', measureConfig.parse({}));
  assert.equal(stdout, formatMeasurements(expected.file));
  assert.equal(parseMeasurements(stdout).csp, 'aws');

  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    'store: { url: file://bucket }\npublicBaseUrl: https://cdn.example.com\nsigning: { development: true }\nqemu: {}\n' +
      `measure:\n  overrides:\n    aws:\n      "0": { expected: "${'0a'.repeat(32)}", warnOnly: true }\n`,
  );
  const withConfig = await run(process.execPath, [osimage, 'measure', '--image', image, '--csp', 'aws', '--config', config], { cwd: dir });
  assert.deepEqual(parseMeasurements(withConfig.stdout).measurements[0], { expected: '0a'.repeat(32), warnOnly: true });
});
