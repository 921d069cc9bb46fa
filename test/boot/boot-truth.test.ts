/**
 * The boot-truth suite: real UKIs (Debian's systemd-stubs, a Debian kernel) booted under QEMU with OVMF and swtpm;
 * every PCR `osimage measure` claims must be what the TPM reports. Boots are cached by disk hash
 * (~/.cache/osimage/boots); `npm test -- dist/test/boot/boot-truth.test.js` runs this suite alone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { measureConfig, type MeasureConfigInput } from '../../config/measure.js';
import { measureImage } from '../../steps/measure/measure-image.js';
import { tempDir } from '../measure-fixtures.js';
import { BOOT_CMDLINE, buildBootImage, type BootImageOptions } from './boot-images.js';
import { compareWithBoot, formatMismatches, logMatchesTpm } from './compare.js';
import { bootDisk } from './qemu-boot.js';

const run = promisify(execFile);

async function assertBootMatches(t: TestContext, dir: string, options: BootImageOptions, config: MeasureConfigInput = {}): Promise<void> {
  const image = await buildBootImage(dir, options);
  const measured = await measureImage(image.disk, 'qemu', 'v1.0.0', measureConfig.parse({ bootChain: image.bootChain, ...config }));
  const boot = await bootDisk(image.disk);
  t.diagnostic(`systemd-stub ${image.stubVersion} (${options.layout}${options.systemdBoot ? ', behind systemd-boot' : ''}): ${boot.cached ? 'cached boot' : 'booted'}`);
  assert.deepEqual(logMatchesTpm(boot, [4, 9, 11, 12, 13]), [], 'the event log replays to the TPM (harness check)');
  const mismatches = compareWithBoot(measured, boot);
  assert.equal(mismatches.length, 0, `systemd-stub ${image.stubVersion} (${options.layout}):\n${formatMismatches(mismatches)}`);
}

/** A fixed public key for .pcrpkey (the stub hands it to the initrd as /.extra/tpm2-pcr-public-key.pem); fixed so the disk, and its cached boot, stay the same. */
async function pcrPublicKey(dir: string): Promise<string> {
  const pub = join(dir, 'pcr.pub.pem');
  await writeFile(pub, '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOP1jYFLdOjVZ3/ZZL21wYSirJzjQ\nKpMY0C8br+8nTJMTh0cJwEga7KWHJso2uJt/HHJPutN92UO20+aqsZgShA==\n-----END PUBLIC KEY-----\n');
  return pub;
}

/** A small early cpio for .ucode: the stub puts it before the main initrd. */
async function microcodeCpio(dir: string): Promise<string> {
  const out = join(dir, 'ucode.cpio');
  await run('sh', ['-c', `mkdir -p "$1/early" && echo placeholder > "$1/early/ucode-placeholder" && cd "$1" && find early | cpio -o -H newc --quiet --reproducible > "$2"`, 'sh', join(dir, 'ucode-root'), out]);
  return out;
}

test('systemd-stub 252 (bookworm), objcopy layout, .cmdline ending in a newline', async (t) =>
  assertBootMatches(t, await tempDir(t), { stubSuite: 'bookworm', layout: 'objcopy', cmdline: `${BOOT_CMDLINE}\n` }));

test('systemd-stub 254 (bookworm-backports), objcopy layout with .pcrpkey', async (t) => {
  const dir = await tempDir(t);
  await assertBootMatches(t, dir, { stubSuite: 'bookworm-backports', layout: 'objcopy', objcopySections: { '.pcrpkey': await pcrPublicKey(dir) } });
});

test('systemd-stub 257 (trixie), objcopy layout', async (t) =>
  assertBootMatches(t, await tempDir(t), { stubSuite: 'trixie', layout: 'objcopy' }));

test('systemd-stub 257 (trixie), ukify layout with .uname, .sbat, .pcrpkey and .ucode', async (t) => {
  const dir = await tempDir(t);
  const args = ['--uname=6.12.0-osimage', `--pcrpkey=${await pcrPublicKey(dir)}`, `--microcode=${await microcodeCpio(dir)}`];
  await assertBootMatches(t, dir, { stubSuite: 'trixie', layout: 'ukify', ukifyArgs: args });
});

test('systemd-stub 262 (forky), objcopy layout', async (t) =>
  assertBootMatches(t, await tempDir(t), { stubSuite: 'forky', layout: 'objcopy' }));

test('systemd-boot 257 → UKI 257 (trixie, ukify)', async (t) =>
  assertBootMatches(t, await tempDir(t), { stubSuite: 'trixie', layout: 'ukify', systemdBoot: true }));
