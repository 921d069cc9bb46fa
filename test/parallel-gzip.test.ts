import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { gzipInParallel } from '../steps/upload/parallel-gzip.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function gzip(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of gzipInParallel((async function* () { yield* chunks; })())) out.push(piece);
  return Buffer.concat(out);
}

/** Text-like bytes that compress, with repeats further apart than one block, so the dictionaries matter. */
function compressible(length: number): Buffer {
  const words = Array.from({ length: 500 }, () => randomBytes(1 + (randomBytes(1)[0]! % 8)).toString('hex'));
  const text = Buffer.alloc(length);
  for (let at = 0; at < length; ) at += text.write(`${words[randomBytes(2).readUInt16LE() % words.length]} `, at);
  return text;
}

describe('gzip on every core', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-pgzip-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: Array<{ name: string; chunks: () => Buffer[] }> = [
    { name: 'nothing', chunks: () => [] },
    { name: 'one byte', chunks: () => [Buffer.from('x')] },
    { name: 'exactly one block', chunks: () => [compressible(MiB)] },
    { name: 'blocks cut across chunks of odd sizes', chunks: () => [compressible(3 * MiB + 17), randomBytes(777_777), compressible(5 * MiB)] },
  ];
  for (const { name, chunks } of cases) {
    it(`is one gzip member that gzip and zlib read back: ${name}`, async () => {
      const input = Buffer.concat(chunks());
      const output = await gzip([input.subarray(0, input.length >> 1), input.subarray(input.length >> 1)]);
      assert.ok(gunzipSync(output).equals(input));
      // One deflate stream from header to trailer: a raw inflate of the body alone gives back all of the input.
      assert.ok(inflateRawSync(output.subarray(10, -8)).equals(input), 'a single member, not concatenated ones');
      const file = join(dir, `${name.replace(/\W+/g, '-')}.gz`);
      await writeFile(file, output);
      await run('gzip', ['-t', file]);
    });
  }

  it('compresses as well as one-stream gzip, within a percent', async () => {
    const input = compressible(8 * MiB);
    const output = await gzip([input]);
    const reference = gzipSync(input, { level: 6 }).length;
    assert.ok(output.length < reference * 1.01, `${output.length} bytes against gzip's ${reference}`);
  });
});
