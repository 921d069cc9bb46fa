import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchImage } from './bench-image.js';
import type { BenchRow } from './table.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const TIME = '/usr/bin/time';

/**
 * The GCP step's sparse tar.gz writer, each run as its own process, on two images:
 * - holes: OSIMAGE_BENCH_GCP_GIB GiB (default 2) with 32 MiB of data in 64 regions, against GNU tar
 *   (`tar --format=oldgnu -Sczf`, which finds holes with SEEK_HOLE);
 * - compression: OSIMAGE_BENCH_GCP_DATA_MIB MiB (default 1024) of compressible data in a 2 GiB image, against
 *   `tar -S -c | pigz` (gzip on every core).
 */
export async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-gcp-'));
  try {
    const gib = Number(process.env.OSIMAGE_BENCH_GCP_GIB ?? 2);
    const dataMiB = Number(process.env.OSIMAGE_BENCH_GCP_DATA_MIB ?? 1024);
    const rows: BenchRow[] = [];

    const sparse = join(dir, 'sparse', 'disk.raw');
    await exec('mkdir', ['-p', join(dir, 'sparse')]);
    await benchImage(sparse, gib * 1024 * MiB, { regions: 64, regionBytes: 512 * 1024 });
    const ours = await measure(process.execPath, [packer(), sparse, join(dir, 'ours.tar.gz')], join(dir, 'ours.tar.gz'));
    const gnu = await measure('tar', ['--format=oldgnu', '-Sczf', join(dir, 'gnu.tar.gz'), '-C', join(dir, 'sparse'), 'disk.raw'], join(dir, 'gnu.tar.gz'));
    rows.push({
      what: `gcp: tar.gz of ${gib} GiB, 32 MiB data`,
      ours: ours.seconds,
      baseline: { what: 'GNU tar -Sczf', value: gnu.seconds },
      sent: { bytes: ours.bytes, against: gnu.bytes },
      peakRssMiB: ours.rssMiB,
    });
    await rm(join(dir, 'sparse'), { recursive: true });

    const dense = join(dir, 'dense', 'disk.raw');
    await exec('mkdir', ['-p', join(dir, 'dense')]);
    await benchImage(dense, 2 * 1024 * MiB, { regions: Math.max(1, dataMiB / 16), regionBytes: Math.min(dataMiB, 16) * MiB, random: false });
    const oursDense = await measure(process.execPath, [packer(), dense, join(dir, 'ours-dense.tar.gz')], join(dir, 'ours-dense.tar.gz'));
    const pigz = await measure(
      'sh',
      ['-c', `tar --format=oldgnu -S -cf - -C "${join(dir, 'dense')}" disk.raw | pigz -6 > "${join(dir, 'pigz.tar.gz')}"`],
      join(dir, 'pigz.tar.gz'),
    );
    rows.push({
      what: `gcp: tar.gz of 2 GiB, ${dataMiB} MiB compressible data`,
      ours: oursDense.seconds,
      baseline: { what: 'tar -S -c | pigz', value: pigz.seconds },
      sent: { bytes: oursDense.bytes, against: pigz.bytes },
      peakRssMiB: oursDense.rssMiB,
    });
    process.stdout.write(
      `cpu seconds: osimage ${ours.cpuSeconds?.toFixed(2)} / GNU tar ${gnu.cpuSeconds?.toFixed(2)} (holes); ` +
        `osimage ${oursDense.cpuSeconds?.toFixed(2)} / tar|pigz ${pigz.cpuSeconds?.toFixed(2)} (compression)\n`,
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function packer(): string {
  return fileURLToPath(new URL('./gcp-tar-child.js', import.meta.url));
}

/** Runs a command under GNU time when there is one (for peak RSS and CPU time), else times it from here. */
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
