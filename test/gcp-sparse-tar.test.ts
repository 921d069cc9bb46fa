import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { findData } from '../steps/upload/data-map.js';
import { sparseTarGzStream } from '../steps/upload/gcp/sparse-tar.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Writes an image of `size` bytes that holds `chunks` of random data at the given offsets and holes elsewhere. */
async function makeImage(path: string, size: number, chunks: Array<{ offset: number; length: number }>): Promise<Buffer> {
  await (await open(path, 'w')).close();
  await truncate(path, size);
  const file = await open(path, 'r+');
  try {
    for (const chunk of chunks) await file.write(randomBytes(chunk.length), 0, chunk.length, chunk.offset);
  } finally {
    await file.close();
  }
  return readFile(path);
}

describe('sparse tar.gz of a raw image', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-sparse-tar-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Packs the image, lists it and extracts it with GNU tar; returns the listing and the extracted bytes. */
  async function roundTrip(name: string, image: string, paddedSize?: number, readAll = true) {
    const archive = join(dir, `${name}.tar.gz`);
    const map = await findData(image);
    await pipeline(sparseTarGzStream(image, map, { entryName: 'disk.raw', paddedSize }), createWriteStream(archive));
    const listing = (await run('tar', ['-tvf', archive])).stdout;
    const out = join(dir, `${name}-out`);
    await run('mkdir', ['-p', out]);
    await run('tar', ['-xSf', archive, '-C', out]);
    const extracted = join(out, 'disk.raw');
    const extractedSize = (await stat(extracted)).size;
    const start = await open(extracted, 'r');
    const extractedStart = Buffer.alloc(Math.min(extractedSize, MiB));
    await start.read(extractedStart, 0, extractedStart.length, 0);
    await start.close();
    const archiveSize = (await stat(archive)).size;
    const result = { map, listing, extractedSize, extractedStart, archiveSize, extracted: readAll ? await readFile(extracted) : Buffer.alloc(0) };
    await rm(out, { recursive: true });
    return result;
  }

  const cases: Array<{ name: string; size: number; chunks: Array<{ offset: number; length: number }> }> = [
    { name: 'data at the start, hole at the end', size: 4 * MiB, chunks: [{ offset: 0, length: 70_000 }] },
    { name: 'data at the very end', size: 4 * MiB, chunks: [{ offset: 4 * MiB - 1000, length: 1000 }] },
    { name: 'dense', size: 3 * MiB, chunks: [{ offset: 0, length: 3 * MiB }] },
    { name: 'all hole', size: 2 * MiB, chunks: [] },
    {
      // More regions than the main header holds: the map continues in extension headers.
      name: 'many regions',
      size: 4 * MiB,
      chunks: Array.from({ length: 60 }, (_, index) => ({ offset: index * 65_536 + 17, length: 300 })),
    },
    { name: 'unaligned size', size: 3 * MiB + 777, chunks: [{ offset: 3 * MiB + 700, length: 77 }] },
  ];

  for (const testCase of cases) {
    it(`GNU tar lists and extracts identical bytes: ${testCase.name}`, async () => {
      const image = join(dir, `${testCase.name.replaceAll(' ', '-')}.raw`);
      const original = await makeImage(image, testCase.size, testCase.chunks);
      const result = await roundTrip(testCase.name.replaceAll(' ', '-'), image);
      assert.match(result.listing, new RegExp(`\\s${testCase.size}\\s.*disk\\.raw`));
      assert.equal(result.extracted.length, original.length);
      assert.ok(result.extracted.equals(original), 'extracted bytes differ from the image');
      const data = result.map.regions.reduce((sum, region) => sum + region.length, 0);
      const written = testCase.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      assert.ok(data >= written && data <= written + testCase.chunks.length * 2 * 4096, `stored ${data} bytes for ${written}`);
    });
  }

  it('reports progress over the data it archives, ending at the data bytes', async () => {
    const image = join(dir, 'progress.raw');
    await makeImage(image, 8 * MiB, [{ offset: 0, length: 3 * MiB }, { offset: 6 * MiB, length: 100_000 }]);
    const map = await findData(image);
    const data = map.regions.reduce((sum, region) => sum + region.length, 0);
    const reports: number[] = [];
    await pipeline(sparseTarGzStream(image, map, { onProgress: (bytes) => reports.push(bytes) }), createWriteStream(join(dir, 'progress.tar.gz')));
    assert.ok(reports.length > 1, 'more than one report for a multi-MiB image');
    assert.deepEqual([...reports].sort((a, b) => a - b), reports, 'progress never goes back');
    assert.equal(reports.at(-1), data);
  });

  it('pads the image with a trailing hole to the requested size, at no cost in the archive', async () => {
    const image = join(dir, 'padded.raw');
    const original = await makeImage(image, 2 * MiB, [{ offset: 2 * MiB - 4096, length: 4096 }]);
    const result = await roundTrip('padded', image, 5 * MiB);
    assert.equal(result.extracted.length, 5 * MiB);
    assert.ok(result.extracted.subarray(0, 2 * MiB).equals(original));
    assert.ok(result.extracted.subarray(2 * MiB).every((byte) => byte === 0));
    assert.ok(result.archiveSize < 64 * 1024, `archive of ${result.archiveSize} bytes`);
  });

  it('declares sizes of 8 GiB and more in GNU base-256, which GNU tar reads', async () => {
    const image = join(dir, 'huge.raw');
    const original = await makeImage(image, MiB, [{ offset: 0, length: 4096 }]);
    const huge = 9 * 1024 * MiB;
    const result = await roundTrip('huge', image, huge, false);
    assert.match(result.listing, new RegExp(`\\s${huge}\\s.*disk\\.raw`));
    assert.equal(result.extractedSize, huge);
    assert.ok(result.extractedStart.equals(original.subarray(0, result.extractedStart.length)));
  });

  it('gives the same archive for the same image', async () => {
    const image = join(dir, 'stable.raw');
    await makeImage(image, MiB, [{ offset: 5000, length: 5000 }]);
    const map = await findData(image);
    const pack = async (name: string) => {
      await pipeline(sparseTarGzStream(image, map), createWriteStream(join(dir, name)));
      return readFile(join(dir, name));
    };
    assert.ok((await pack('one.tar.gz')).equals(await pack('two.tar.gz')));
  });
});
