import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { startS3Server } from '../test/support/s3rver.js';
import { findData } from '../steps/upload/data-map.js';
import { streamOptimizedVmdk } from '../steps/upload/aws/stream-optimized-vmdk.js';
import { benchImage } from './bench-image.js';
import type { BenchRow } from './table.js';

const run$ = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The AWS step's upload to the import bucket: a sparse image (OSIMAGE_BENCH_AWS_GIB GiB, default 2, with 4 MiB of
 * data, half random, half text) mapped and streamed as a stream-optimized VMDK to a local s3rver, beside `curl -T` of
 * the same VMDK (the compressed object) to the same server. Bytes sent are measured against the image's data
 * gzipped (-6): the least any format that carries the data compressed could send.
 */
export async function run(): Promise<BenchRow[]> {
  const size = Number(process.env.OSIMAGE_BENCH_AWS_GIB ?? 2) * GiB;
  const dir = await mkdtemp(join(tmpdir(), 'bench-aws-'));
  const s3 = await startS3Server(['bench']);
  try {
    const image = join(dir, 'aws.raw');
    await benchImage(image, size, { regions: 4, regionBytes: MiB });
    const map = await findData(image);
    const compressedData = await gzippedBytes(image, map.regions);

    const child = fileURLToPath(new URL('./aws-upload-child.js', import.meta.url));
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey };
    const { stdout } = await run$(process.execPath, [child, s3.endpoint, 'bench', 'osimage.vmdk', image], { env, maxBuffer: MiB });
    const ours = JSON.parse(stdout) as { seconds: number; bytes: number; maxRssMiB: number };

    const vmdk = join(dir, 'aws.vmdk');
    await pipeline(streamOptimizedVmdk(image, map, { contentId: '00000000' }), createWriteStream(vmdk));
    const started = performance.now();
    await run$('curl', ['-sS', '-f', '-T', vmdk, `${s3.endpoint}/bench/curl.vmdk`], { maxBuffer: MiB });
    const curlSeconds = (performance.now() - started) / 1000;

    const gib = (size / GiB).toFixed(0);
    process.stdout.write(
      `${gib} GiB sparse image, 4 MiB of data (gzip -6: ${(compressedData / MiB).toFixed(2)} MiB) to s3rver; VMDK ${(ours.bytes / MiB).toFixed(2)} MiB (${(await stat(vmdk)).size} bytes written alike)\n`,
    );
    return [
      {
        what: `aws: ${gib} GiB image, 4 MiB data, VMDK to s3rver`,
        ours: ours.seconds,
        baseline: { what: 'curl -T of the VMDK', value: curlSeconds },
        sent: { bytes: ours.bytes, against: compressedData },
        peakRssMiB: ours.maxRssMiB,
      },
    ];
  } finally {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The image's data regions, one after the other, through gzip -6: how small the data gets compressed. */
async function gzippedBytes(path: string, regions: { offset: number; length: number }[]): Promise<number> {
  let bytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const gzip = createGzip({ level: 6 });
  const piped = pipeline(gzip, count);
  for (const region of regions) {
    for await (const chunk of createReadStream(path, { start: region.offset, end: region.offset + region.length - 1 })) {
      if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
    }
  }
  gzip.end();
  await piped;
  return bytes;
}
