import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { openVhdSource } from '../steps/upload/azure/vhd-source.js';
import { vhdFooter } from '../steps/upload/azure/vhd-footer.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osimage-vhd-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A sparse raw image with a few scattered non-zero bytes. */
async function rawImage(name: string, size: number, writes: Array<[number, string]>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, '');
  const file = await open(path, 'r+');
  await file.truncate(size);
  for (const [offset, text] of writes) await file.write(Buffer.from(text), 0, text.length, offset);
  await file.close();
  return path;
}

async function readAll(path: string, footer: Parameters<typeof openVhdSource>[1] = {}): Promise<Buffer> {
  const source = await openVhdSource(path, footer);
  try {
    const bytes = Buffer.alloc(source.size);
    // Odd-sized reads that straddle the padding and the footer exercise every region boundary.
    const step = 777_777;
    for (let offset = 0; offset < source.size; offset += step) {
      await source.read(offset, bytes.subarray(offset, Math.min(source.size, offset + step)));
    }
    return bytes;
  } finally {
    await source.close();
  }
}

test('a MiB-aligned image streams as exactly the fixed VHD that qemu-img writes', async () => {
  const raw = await rawImage('aligned.raw', 3 * MiB, [[0, 'boot'], [MiB + 5, 'data'], [3 * MiB - 4, 'tail']]);
  const converted = join(dir, 'aligned.vhd');
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size', raw, converted]).catch((error) => {
    throw new Error(`qemu-img (Debian package qemu-utils) is needed for this test: ${error.message}`);
  });
  const expected = await readFile(converted);
  // qemu stamps the time and a random id into its footer; ours takes them as options so we can compare.
  const footer = expected.subarray(expected.length - 512);
  const created = new Date((footer.readUInt32BE(24) + Date.UTC(2000, 0, 1) / 1000) * 1000);
  const uniqueId = Buffer.from(footer.subarray(68, 84));

  const ours = await readAll(raw, { created, uniqueId });
  assert.equal(ours.length, expected.length);
  assert.ok(ours.equals(expected), 'the streamed VHD differs from qemu-img output');
});

test('an image that is not a whole MiB is padded with zeros before the footer', async () => {
  const raw = await rawImage('odd.raw', MiB + 1000, [[MiB + 999, 'x']]);
  const bytes = await readAll(raw);
  assert.equal(bytes.length, 2 * MiB + 512);
  assert.equal(bytes[MiB + 999], 'x'.charCodeAt(0));
  assert.ok(bytes.subarray(MiB + 1000, 2 * MiB).every((byte) => byte === 0));
  const footer = bytes.subarray(2 * MiB);
  assert.equal(footer.subarray(0, 8).toString('latin1'), 'conectix');
  assert.equal(footer.readBigUInt64BE(48), BigInt(2 * MiB));
});

test('the footer checksum is the one complement of its byte sum', () => {
  const footer = vhdFooter({ diskSize: 8 * MiB, created: new Date('2024-01-01T00:00:00Z'), uniqueId: Buffer.alloc(16, 7) });
  let sum = 0;
  for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += footer[i]!;
  assert.equal(footer.readUInt32BE(64), ~sum >>> 0);
  assert.equal(footer.readUInt32BE(24), (Date.UTC(2024, 0, 1) - Date.UTC(2000, 0, 1)) / 1000);
});

test('a disk size that Azure cannot take is refused with the reason', () => {
  assert.throws(() => vhdFooter({ diskSize: MiB + 512 }), /whole number of MiB/);
});
