import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { findData } from '../steps/upload/data-map.js';
import { awsUploader } from '../steps/upload/aws/index.js';
import { streamOptimizedVmdk, vmdkMaxSize } from '../steps/upload/aws/stream-optimized-vmdk.js';
import { awsSection, BUCKET, COMMIT, startAwsWorld, startEc2, uploadContext } from './aws-harness.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** An image of `size` bytes with random data at the given places and holes elsewhere. */
async function makeImage(path: string, size: number, chunks: Array<{ offset: number; length: number; byte?: number }>): Promise<void> {
  await writeFile(path, '');
  await truncate(path, size);
  const file = await open(path, 'r+');
  try {
    for (const chunk of chunks) {
      const bytes = chunk.byte === undefined ? randomBytes(chunk.length) : Buffer.alloc(chunk.length, chunk.byte);
      await file.write(bytes, 0, bytes.length, chunk.offset);
    }
  } finally {
    await file.close();
  }
}

/** qemu-img's verdict on a VMDK, and the raw disk it decodes to. */
async function decode(vmdk: string): Promise<{ info: Record<string, any>; raw: Buffer }> {
  await run('qemu-img', ['check', '-f', 'vmdk', vmdk]);
  const info = JSON.parse((await run('qemu-img', ['info', '--output=json', '-f', 'vmdk', vmdk])).stdout) as Record<string, any>;
  const raw = `${vmdk}.raw`;
  await run('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', vmdk, raw]);
  return { info, raw: await readFile(raw) };
}

describe('stream-optimized VMDK of a raw image', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-vmdk-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function pack(name: string, image: string): Promise<string> {
    const vmdk = join(dir, `${name}.vmdk`);
    await pipeline(streamOptimizedVmdk(image, await findData(image), { contentId: '0a1b2c3d' }), createWriteStream(vmdk));
    return vmdk;
  }

  const cases: Array<{ name: string; size: number; chunks: Array<{ offset: number; length: number; byte?: number }> }> = [
    { name: 'data at the start, hole at the end', size: 4 * MiB, chunks: [{ offset: 0, length: 70_000 }] },
    { name: 'a size that is no whole grain', size: 3 * MiB + 5 * 512, chunks: [{ offset: 3 * MiB, length: 5 * 512 }] },
    {
      name: 'data in several grain tables (32 MiB each), with empty tables between',
      size: 200 * MiB,
      chunks: [
        { offset: 31 * MiB + 12_345, length: 2 * MiB },
        { offset: 150 * MiB, length: 4096, byte: 0x5a },
        { offset: 200 * MiB - 100, length: 100 },
      ],
    },
    { name: 'no data at all', size: 8 * MiB, chunks: [] },
  ];
  for (const { name, size, chunks } of cases) {
    it(`decodes with qemu-img to the same bytes: ${name}`, async () => {
      const image = join(dir, `${name.replace(/\W+/g, '-')}.raw`);
      await makeImage(image, size, chunks);
      const vmdk = await pack(name.replace(/\W+/g, '-'), image);
      const { info, raw } = await decode(vmdk);
      assert.equal(info['format-specific'].data['create-type'], 'streamOptimized');
      assert.equal(info['format-specific'].data.extents[0].compressed, true);
      assert.equal(info['cluster-size'], 64 * 1024, 'grains of 128 sectors');
      assert.equal(info['virtual-size'], size);
      assert.ok(raw.equals(await readFile(image)), 'qemu-img convert -O raw gives back the image');
      const stored = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const vmdkSize = (await readFile(vmdk)).length;
      assert.ok(vmdkSize < stored * 1.05 + 200 * 1024, `the VMDK (${vmdkSize} bytes) carries the data, not the disk`);
      assert.ok(vmdkSize <= vmdkMaxSize(size), 'within the bound the upload sizes its parts by');
    });
  }

  it('lays out header, descriptor, markers and footer as the streamOptimized spec says', async () => {
    const image = join(dir, 'layout.raw');
    await makeImage(image, 2 * MiB, [{ offset: 64 * 1024, length: 1000, byte: 7 }]);
    const bytes = await readFile(await pack('layout', image));
    const header = (at: number) => ({
      magic: bytes.toString('latin1', at, at + 4),
      version: bytes.readUInt32LE(at + 4),
      flags: bytes.readUInt32LE(at + 8),
      capacity: bytes.readBigUInt64LE(at + 12),
      grainSize: bytes.readBigUInt64LE(at + 20),
      gdOffset: bytes.readBigUInt64LE(at + 56),
      compressAlgorithm: bytes.readUInt16LE(at + 77),
    });
    const start = header(0);
    assert.deepEqual(
      { ...start, gdOffset: undefined },
      { magic: 'KDMV', version: 3, flags: 0x30001, capacity: 4096n, grainSize: 128n, gdOffset: undefined, compressAlgorithm: 1 },
    );
    assert.equal(start.gdOffset, 0xffffffffffffffffn, 'the header says the grain directory is at the end');
    assert.match(bytes.toString('latin1', 512, 1024), /createType="streamOptimized"[\s\S]*RW 4096 SPARSE/);
    // The first grain: marker at sector 128 for LBA 128 (the second grain), then a zlib stream.
    assert.equal(bytes.readBigUInt64LE(128 * 512), 128n);
    assert.equal(bytes[128 * 512 + 12], 0x78, 'grains are zlib streams');
    // The stream ends: footer marker, footer, end-of-stream marker.
    const end = bytes.length;
    assert.ok(bytes.subarray(end - 512).equals(Buffer.alloc(512)), 'end-of-stream marker');
    const footer = header(end - 1024);
    assert.equal(bytes.readUInt32LE(end - 1536 + 12), 3, 'footer marker');
    assert.deepEqual({ ...footer, gdOffset: undefined }, { ...start, gdOffset: undefined });
    const gd = Number(footer.gdOffset) * 512;
    assert.equal(bytes.readUInt32LE(gd - 512 + 12), 2, 'the grain directory follows its marker');
    const gt = bytes.readUInt32LE(gd) * 512;
    assert.equal(bytes.readUInt32LE(gt - 512 + 12), 1, 'the grain table follows its marker');
    assert.equal(bytes.readUInt32LE(gt + 4), 128, 'grain 1 of the table is the grain at sector 128');
    assert.equal(bytes.readUInt32LE(gt), 0, 'grain 0 holds no data');
  });

  it('skips zeros inside a non-sparse copy', async () => {
    const image = join(dir, 'dense.raw');
    const data = randomBytes(MiB);
    await writeFile(image, Buffer.concat([Buffer.alloc(16 * MiB), data, Buffer.alloc(15 * MiB)]));
    const vmdk = await pack('dense', image);
    const { raw } = await decode(vmdk);
    assert.ok(raw.equals(await readFile(image)));
    assert.ok((await readFile(vmdk)).length < 1.1 * MiB, 'the written zeros are not in the VMDK');
  });
});

describe('the AWS step uploads a stream-optimized VMDK', () => {
  it('whose uploaded object qemu-img checks and converts back to the raw image', async () => {
    const world = await startAwsWorld();
    const ec2 = await startEc2(world);
    try {
      const uid = `v2.3.0-pre-vmdk-${COMMIT}`;
      const section = awsSection(world, ec2, { regions: ['us-east-1'] });
      const ctx = await uploadContext(world, { ...section, import: { ...section.import, deleteUploadedObject: false } }, uid);
      await awsUploader.upload(ctx);

      const s3 = new S3Client({ region: 'us-east-1', endpoint: world.s3.endpoint, forcePathStyle: true });
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `osimage-import/${uid}/aws.vmdk` }));
      const vmdk = join(world.dir, 'uploaded.vmdk');
      await pipeline(object.Body as NodeJS.ReadableStream, createWriteStream(vmdk));
      s3.destroy();
      const { info, raw } = await decode(vmdk);
      assert.equal(info['format-specific'].data['create-type'], 'streamOptimized');
      assert.ok(raw.equals(await readFile(world.image.path)), 'the uploaded VMDK is the raw image');
      assert.equal(ec2.importTasks[0]!.format, 'VMDK');
      assert.equal(ec2.snapshots[0]!.importedSha256, world.image.sha256);
    } finally {
      await ec2.close();
      await world.close();
    }
  });
});
