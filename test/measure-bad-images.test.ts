import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { measureConfig, type MeasureConfigInput } from '../config/measure.js';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { measureImage } from '../steps/measure/measure-image.js';
import { buildDisk, buildUki, tempDir, writeUkiParts } from './measure-fixtures.js';

const run = promisify(execFile);
const osimage = fileURLToPath(new URL('../../bin/osimage.js', import.meta.url));

async function rejects(image: string, pattern: RegExp, input: MeasureConfigInput = {}) {
  await assert.rejects(measureImage(image, 'aws', 'v1.0.0', measureConfig.parse(input)), (error: Error & { exitCode?: number }) => {
    assert.match(error.message, pattern);
    assert.equal(error.exitCode, 2, 'a bad image is bad input');
    return true;
  });
}

async function patch(path: string, offset: number, bytes: Uint8Array) {
  const file = await open(path, 'r+');
  await file.write(bytes, 0, bytes.length, offset);
  await file.close();
}

test('damaged GPTs are refused with what is wrong', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'disk.raw');

  await writeSampleImage(image, { sizeMiB: 20 });
  await patch(image, 512, Buffer.alloc(8));
  await rejects(image, /has no GPT: LBA 1 does not start with "EFI PART"/);

  await writeSampleImage(image, { sizeMiB: 20 });
  await patch(image, 512 + 40, Buffer.from([0x99])); // FirstUsableLBA, covered by the header CRC
  await rejects(image, /GPT header CRC does not match/);

  await writeSampleImage(image, { sizeMiB: 20 });
  await patch(image, 1024 + 56, Buffer.from('X', 'utf16le')); // the ESP's name, covered by the entries CRC
  await rejects(image, /partition entry array CRC does not match/);

  await writeFile(image, 'not a disk');
  await rejects(image, /too small to hold a GPT/);
});

test('an image without an ESP, or with an unformatted one, is refused', async (t) => {
  const dir = await tempDir(t);
  const parts = await writeUkiParts(dir);
  const uki = await buildUki(dir, parts);
  const noEsp = await buildDisk(dir, { fat: 12, espMiB: 2, espType: '8300', files: { 'EFI/BOOT/BOOTX64.EFI': uki } }, 'no-esp.raw');
  await rejects(noEsp, /no EFI system partition/);
  const blank = await buildDisk(dir, { fat: 12, espMiB: 2, unformatted: true, files: {} }, 'blank.raw');
  await rejects(blank, /holds no FAT file system/);
});

test('a missing boot stage, a truncated PE and a file that is not PE are refused', async (t) => {
  const dir = await tempDir(t);
  const parts = await writeUkiParts(dir);
  const uki = await buildUki(dir, parts);
  const elsewhere = await buildDisk(dir, { fat: 12, espMiB: 2, files: { 'EFI/Linux/uki.efi': uki } }, 'elsewhere.raw');
  await rejects(elsewhere, /EFI\/BOOT does not exist/);
  await rejects(elsewhere, /EFI\/Linux\/other\.efi does not exist/, { bootChain: ['EFI/Linux/other.efi'] });

  const truncated = join(dir, 'truncated.efi');
  const bytes = await readFile(uki);
  await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const cut = await buildDisk(dir, { fat: 12, espMiB: 2, files: { 'EFI/BOOT/BOOTX64.EFI': truncated } }, 'cut.raw');
  await rejects(cut, /truncated PE image/);

  const text = join(dir, 'readme.txt');
  await writeFile(text, 'this is not an EFI application\n'.repeat(10));
  const notPe = await buildDisk(dir, { fat: 12, espMiB: 2, files: { 'EFI/BOOT/BOOTX64.EFI': text } }, 'text.raw');
  await rejects(notPe, /is not a PE\/COFF image: no MZ header/);
});

test('a systemd-stub version the measurer does not know is refused, unless the config names a known one', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'disk.raw');
  await writeSampleImage(image, { sizeMiB: 20, stubVersion: '260' });
  await rejects(image, /systemd-stub 260 is not a version osimage knows how to measure \(known: 252, 253-255, 256, 257, 262\)/);
  const { file } = await measureImage(image, 'aws', 'v1.0.0', measureConfig.parse({ stubVersion: 252 }));
  assert.match(file.measurements[11]!.expected, /^[0-9a-f]{64}$/);
});

for (const [version, section] of [['257', '.profile'], ['257', '.dtbauto'], ['257', '.hwids'], ['262', '.efifw'], ['262', '.profile']]) {
  test(`a systemd-stub ${version} UKI with ${section}, which the stub measures but osimage cannot predict, is refused`, async (t) => {
    const dir = await tempDir(t);
    const image = join(dir, 'disk.raw');
    await writeSampleImage(image, { sizeMiB: 20, stubVersion: version, extraSections: [{ name: section, data: Buffer.from('ID=1\n') }] });
    await rejects(image, new RegExp(`has a \\${section} section, which systemd-stub ${version} measures but osimage cannot predict`));
  });
}

test('a section an older stub ignores does not stop it from being measured', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'disk.raw');
  await writeSampleImage(image, { sizeMiB: 20, stubVersion: '252', extraSections: [{ name: '.profile', data: Buffer.from('ID=1\n') }] });
  const { eventLog } = await measureImage(image, 'aws', 'v1.0.0', measureConfig.parse({}));
  assert.ok(!eventLog.events.some((event) => event.description.includes('.profile')), 'systemd-stub 252 knows no .profile');
});

test('osimage measure exits 2 with the reason on a bad image', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'disk.raw');
  await writeSampleImage(image, { sizeMiB: 20 });
  await patch(image, 512, Buffer.alloc(8));
  const result = await run(process.execPath, [osimage, 'measure', '--image', image, '--csp', 'aws']).then(
    () => assert.fail('expected a failure'),
    (error: { code: number; stderr: string; stdout: string }) => error,
  );
  assert.equal(result.code, 2);
  assert.match(result.stderr, /has no GPT/);
  assert.equal(result.stdout, '');
});
