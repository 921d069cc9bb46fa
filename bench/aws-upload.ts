import { execFile } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startS3Server } from '../test/support/s3rver.js';

const run$ = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The AWS step's upload of a raw image to the import bucket: a sparse multi-GiB image (a few MiB of data) streamed to
 * a local s3rver, wall time and peak RSS, beside `curl -T` of the same file to the same server. Peak RSS must stay
 * flat whatever the image size: the upload streams parts, it never reads the image whole.
 * OSIMAGE_BENCH_AWS_GIB sets the image size (default 2: s3rver writes multipart uploads twice, about 20 MiB/s here).
 */
export async function run(): Promise<void> {
  const size = Number(process.env.OSIMAGE_BENCH_AWS_GIB ?? 2) * GiB;
  const dir = await mkdtemp(join(tmpdir(), 'bench-aws-'));
  const s3 = await startS3Server(['bench']);
  try {
    const image = join(dir, 'aws.raw');
    await writeFile(image, Buffer.alloc(4 * MiB, 0x5a));
    await truncate(image, size);

    const child = fileURLToPath(new URL('./aws-upload-child.js', import.meta.url));
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey };
    const { stdout } = await run$(process.execPath, [child, s3.endpoint, 'bench', 'osimage.raw', image], { env, maxBuffer: MiB });
    const ours = JSON.parse(stdout) as { seconds: number; maxRssMiB: number };

    // curl's RSS through GNU time, whose -f %M prints the peak RSS in KiB on stderr.
    const started = performance.now();
    const curl = await run$('/usr/bin/time', ['-f', '%M', 'curl', '-sS', '-f', '-T', image, `${s3.endpoint}/bench/curl.raw`], { maxBuffer: MiB });
    const curlSeconds = (performance.now() - started) / 1000;
    const curlRssMiB = Number(curl.stderr.trim().split('\n').pop()) / 1024;

    const gib = (size / GiB).toFixed(1);
    const line = (what: string, seconds: number, rss: number) =>
      `${what.padEnd(34)} ${seconds.toFixed(1).padStart(7)} s ${((size / MiB) / seconds).toFixed(0).padStart(6)} MiB/s  peak RSS ${rss.toFixed(0).padStart(5)} MiB\n`;
    process.stdout.write(`sparse raw image: ${gib} GiB (4 MiB of data) to s3rver on 127.0.0.1\n`);
    process.stdout.write(line('osimage (S3Store multipart)', ours.seconds, ours.maxRssMiB));
    process.stdout.write(line('baseline: curl -T (one PUT)', curlSeconds, curlRssMiB));
  } finally {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}
