import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchImage } from './bench-image.js';
import type { BenchRow } from './table.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Peak RSS of each cloud's data path (AWS VMDK, GCP tar.gz, Azure pages) on sparse images of 1 and 8 GiB with the
 * same 32 MiB of data, each run in its own process: memory must not grow with the image. The 1 GiB run is the
 * baseline of the 8 GiB one (the ratio column compares their times).
 */
export async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-rss-'));
  const child = fileURLToPath(new URL('./peak-rss-child.js', import.meta.url));
  try {
    const rows: BenchRow[] = [];
    const sizes = [1, Number(process.env.OSIMAGE_BENCH_RSS_GIB ?? 8)];
    for (const gib of sizes) await benchImage(join(dir, `${gib}.raw`), gib * GiB, { regions: 64, regionBytes: 512 * 1024 });
    for (const cloud of ['aws', 'gcp', 'azure']) {
      const figures: Array<{ seconds: number; sent: number; maxRssMiB: number }> = [];
      for (const gib of sizes) {
        const started = performance.now();
        const { stdout } = await exec(process.execPath, [child, cloud, join(dir, `${gib}.raw`)], { maxBuffer: MiB });
        figures.push({ ...(JSON.parse(stdout) as { sent: number; maxRssMiB: number }), seconds: (performance.now() - started) / 1000 });
      }
      const [small, big] = figures as [(typeof figures)[0], (typeof figures)[0]];
      process.stdout.write(`${cloud}: peak RSS ${small.maxRssMiB.toFixed(0)} MiB at ${sizes[0]} GiB, ${big.maxRssMiB.toFixed(0)} MiB at ${sizes[1]} GiB\n`);
      rows.push({
        what: `${cloud} data path, ${sizes[1]} GiB image (32 MiB data)`,
        ours: big.seconds,
        baseline: { what: `the same at ${sizes[0]} GiB (${small.maxRssMiB.toFixed(0)} MiB RSS)`, value: small.seconds },
        sent: { bytes: big.sent, against: small.sent },
        peakRssMiB: big.maxRssMiB,
      });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
