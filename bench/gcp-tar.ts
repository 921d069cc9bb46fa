import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const TIME = '/usr/bin/time';

/**
 * The GCP step's sparse tar.gz writer against GNU tar (`tar --format=oldgnu -Sczf`) on the same sparse image, in the
 * same run: wall time, archive size and peak RSS of each, as its own process. The image is OSIMAGE_BENCH_GCP_GIB GiB
 * (default 2) holding 32 MiB of data, half random and half compressible, spread over 64 regions.
 */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-gcp-'));
  try {
    const gib = Number(process.env.OSIMAGE_BENCH_GCP_GIB ?? 2);
    const image = join(dir, 'disk.raw');
    await makeImage(image, gib * 1024 * MiB);
    process.stdout.write(`image: ${gib} GiB sparse, 32 MiB of data in 64 regions\n`);
    const packer = fileURLToPath(new URL('../steps/upload/gcp/sparse-tar.js', import.meta.url));
    const script =
      `import { scanSparseMap, sparseTarGzStream } from ${JSON.stringify(packer)};` +
      `import { createWriteStream } from 'node:fs'; import { pipeline } from 'node:stream/promises';` +
      `const [image, out] = process.argv.slice(1);` +
      `await pipeline(sparseTarGzStream(image, await scanSparseMap(image), { entryName: 'disk.raw' }), createWriteStream(out));`;
    const ours = await measure(process.execPath, ['--input-type=module', '-e', script, image, join(dir, 'ours.tar.gz')], join(dir, 'ours.tar.gz'));
    const gnu = await measure('tar', ['--format=oldgnu', '-Sczf', join(dir, 'gnu.tar.gz'), '-C', dir, 'disk.raw'], join(dir, 'gnu.tar.gz'));
    process.stdout.write('                       wall s    cpu s   archive MiB   peak RSS MiB\n');
    const figure = (value: number | undefined, digits: number, width: number) => (value === undefined ? 'n/a' : value.toFixed(digits)).padStart(width);
    for (const [name, result] of [['osimage sparse-tar', ours], ['GNU tar -S (oldgnu)', gnu]] as const) {
      process.stdout.write(
        `${name.padEnd(20)} ${figure(result.seconds, 2, 9)} ${figure(result.cpuSeconds, 2, 8)} ${figure(result.bytes / MiB, 2, 13)} ${figure(result.rssMiB, 1, 14)}\n`,
      );
    }
    process.stdout.write('(GNU tar finds holes with SEEK_HOLE; Node has none, so osimage reads the holes once to find them.)\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeImage(path: string, size: number): Promise<void> {
  await (await open(path, 'w')).close();
  await truncate(path, size);
  const file = await open(path, 'r+');
  try {
    const compressible = Buffer.alloc(256 * 1024, 'osimage benchmark data, quite compressible. ');
    for (let index = 0; index < 64; index++) {
      const offset = Math.floor((index * (size - MiB)) / 64);
      await file.write(randomBytes(256 * 1024), 0, 256 * 1024, offset);
      await file.write(compressible, 0, compressible.length, offset + 256 * 1024);
    }
  } finally {
    await file.close();
  }
}

/** Runs a command under GNU time when there is one (for the peak RSS), else times it from here. */
async function measure(command: string, args: string[], output: string): Promise<{ seconds: number; bytes: number; rssMiB?: number; cpuSeconds?: number }> {
  const started = process.hrtime.bigint();
  let rssMiB: number | undefined;
  let cpuSeconds: number | undefined;
  if (existsSync(TIME)) {
    const { stderr } = await exec(TIME, ['-f', 'osimage-bench %M %U %S', command, ...args], { maxBuffer: 16 * MiB });
    const figures = stderr.match(/osimage-bench (\d+) ([\d.]+) ([\d.]+)/);
    if (figures) {
      rssMiB = Number(figures[1]) / 1024;
      cpuSeconds = Number(figures[2]) + Number(figures[3]);
    }
  } else {
    await exec(command, args, { maxBuffer: 16 * MiB });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, bytes: (await stat(output)).size, rssMiB, cpuSeconds };
}
