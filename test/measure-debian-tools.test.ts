import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { measureConfig, type MeasureConfigInput } from '../config/measure.js';
import { measureImage } from '../steps/measure/measure-image.js';
import { parsePe } from '../steps/measure/pe.js';
import {
  SYSTEMD_BOOT, buildDisk, buildUki, extendAll, pesignDigest, sha256, signPe, systemdMeasurePcr11, tempDir, writeUkiParts,
} from './measure-fixtures.js';

const config = (input: MeasureConfigInput = {}) => measureConfig.parse(input);

/** PCR 9 from the UKI's inputs, as the Linux EFI stub measures them. */
async function expectedPcr9(cmdlinePath: string, initrdPath: string): Promise<string> {
  const cmdline = await readFile(cmdlinePath, 'utf8');
  return extendAll([sha256(Buffer.from(`${cmdline}\0`, 'utf16le')), sha256(await readFile(initrdPath))]);
}

for (const fat of [12, 16, 32] as const) {
  test(`a Debian-built UKI on a FAT${fat} ESP measures as pesign and systemd-measure say`, async (t) => {
    const dir = await tempDir(t);
    const parts = await writeUkiParts(dir);
    const uki = await buildUki(dir, parts);
    const espMiB = fat === 12 ? 2 : fat === 16 ? 16 : 34;
    const disk = await buildDisk(dir, { fat, espMiB, files: { 'EFI/BOOT/BOOTX64.EFI': uki } });

    const { file, eventLog } = await measureImage(disk, 'aws', 'v1.2.3', config());

    const ukiDigest = await pesignDigest(uki);
    assert.deepEqual(eventLog.bootChain, [{ path: 'EFI/BOOT/BOOTX64.EFI', authenticode: ukiDigest }]);
    assert.equal(eventLog.stubVersion, 252, 'bookworm ships systemd-stub 252 and .sdmagic says so');
    assert.deepEqual(eventLog.esp, { partition: 1, fileSystem: `FAT${fat}` });
    const action = sha256('Calling EFI Application from Boot Option');
    const separator = sha256(Buffer.alloc(4));
    assert.equal(file.measurements[4]!.expected, extendAll([action, separator, ukiDigest, await pesignDigest(parts.linux)]));
    assert.equal(file.measurements[9]!.expected, await expectedPcr9(parts.cmdline, parts.initrd));
    assert.equal(file.measurements[11]!.expected, await systemdMeasurePcr11(parts));
    for (const pcr of [8, 12, 13, 15]) assert.equal(file.measurements[pcr]!.expected, '0'.repeat(64));
    assert.deepEqual(Object.keys(file.measurements).map(Number), [4, 8, 9, 11, 12, 13, 15]);
  });
}

test('a shim → systemd-boot → UKI chain under long file names measures every stage into PCR 4', async (t) => {
  const dir = await tempDir(t);
  const parts = await writeUkiParts(dir, 'root=PARTUUID=1234 ro console=tty0 console=ttyS0,115200n8');
  const uki = await buildUki(dir, parts, 'osimage-debian-12.efi');
  // The first stage stands in for shim: a Secure Boot-signed PE, so its certificate table is left out of the digest.
  const shim = await signPe(dir, SYSTEMD_BOOT, 'shimx64.efi');
  assert.ok(parsePe(await readFile(shim), 'shim').certificateTable.size > 0, 'the signed stage carries a certificate table');
  const bootChain = ['EFI/BOOT/BOOTX64.EFI', 'EFI/systemd/systemd-bootx64.efi', 'EFI/Linux/osimage-debian-12.efi'];
  const disk = await buildDisk(dir, {
    fat: 16,
    espMiB: 16,
    files: { [bootChain[0]!]: shim, [bootChain[1]!]: SYSTEMD_BOOT, [bootChain[2]!]: uki },
  });

  const { file, eventLog } = await measureImage(disk, 'gcp', 'v1.2.3', config({ bootChain }));

  const stageDigests = [await pesignDigest(shim), await pesignDigest(SYSTEMD_BOOT), await pesignDigest(uki)];
  assert.deepEqual(eventLog.bootChain.map((stage) => stage.authenticode), stageDigests);
  const expected4 = extendAll([
    sha256('Calling EFI Application from Boot Option'), sha256(Buffer.alloc(4)), ...stageDigests, await pesignDigest(parts.linux),
  ]);
  assert.equal(file.measurements[4]!.expected, expected4);
  assert.equal(file.measurements[11]!.expected, await systemdMeasurePcr11(parts));
  assert.equal(file.measurements[9]!.expected, await expectedPcr9(parts.cmdline, parts.initrd));
});

test('boot phases and the .linux choice follow the config, and overrides replace per cloud', async (t) => {
  const dir = await tempDir(t);
  const parts = await writeUkiParts(dir);
  const uki = await buildUki(dir, parts);
  const disk = await buildDisk(dir, { fat: 12, espMiB: 2, files: { 'EFI/BOOT/BOOTX64.EFI': uki } });
  const firmware = { expected: 'ab'.repeat(32), warnOnly: true };

  const { file } = await measureImage(disk, 'azure', 'v1.2.3', config({
    pcr11Phases: ['enter-initrd'],
    pcr4IncludesLinux: false,
    zeroPcrs: [12],
    overrides: { azure: { '0': firmware }, aws: { '1': firmware } },
  }));

  assert.equal(file.measurements[11]!.expected, await systemdMeasurePcr11(parts, 'enter-initrd'));
  const action = sha256('Calling EFI Application from Boot Option');
  assert.equal(file.measurements[4]!.expected, extendAll([action, sha256(Buffer.alloc(4)), await pesignDigest(uki)]));
  assert.deepEqual(file.measurements[0], firmware);
  assert.equal(file.measurements[1], undefined, "another cloud's override does not apply");
  assert.deepEqual(Object.keys(file.measurements).map(Number), [0, 4, 9, 11, 12]);
});
