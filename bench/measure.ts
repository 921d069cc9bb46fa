/**
 * Measuring a multi-GiB sparse image, beside the baseline of reading its ESP's bytes: measuring reads only the GPT,
 * the ESP's metadata and the boot chain, so it should cost no more than reading the ESP, whatever the image size.
 * Each figure comes from its own child process, so its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESP_SIZE_MIB, writeSampleImage } from '../scripts/make-sample-image.js';
import type { BenchRow } from './table.js';

const SIZE_MIB = 4096;
const RUNS = 5;
const modules = (name: string) => new URL(name, import.meta.url).href;

const measureScript = `
const { measureImage } = await import(${JSON.stringify(modules('../steps/measure/measure-image.js'))});
const { measureConfig } = await import(${JSON.stringify(modules('../config/measure.js'))});
const start = performance.now();
await measureImage(process.argv[1], 'qemu', 'v0.0.0', measureConfig.parse({}));
console.log(JSON.stringify({ ms: performance.now() - start, rssKiB: process.resourceUsage().maxRSS }));`;

// The baseline: the ESP's whole byte range in 1 MiB positioned reads (what copying the ESP out would cost).
const readEspScript = `
const { open } = await import('node:fs/promises');
const start = performance.now();
const file = await open(process.argv[1], 'r');
const buffer = Buffer.alloc(1024 * 1024);
for (let mib = 1; mib <= ${ESP_SIZE_MIB}; mib++) await file.read(buffer, 0, buffer.length, mib * buffer.length);
await file.close();
console.log(JSON.stringify({ ms: performance.now() - start, rssKiB: process.resourceUsage().maxRSS }));`;

function median(script: string, image: string): { ms: number; rssKiB: number } {
  const results = Array.from({ length: RUNS }, () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, image], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout) as { ms: number; rssKiB: number };
  });
  results.sort((a, b) => a.ms - b.ms);
  return { ms: results[Math.floor(RUNS / 2)]!.ms, rssKiB: Math.max(...results.map((r) => r.rssKiB)) };
}

export async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-measure-'));
  try {
    const image = join(dir, 'big.raw');
    await writeSampleImage(image, { sizeMiB: SIZE_MIB });
    const measured = median(measureScript, image);
    const baseline = median(readEspScript, image);
    const row = (name: string, r: { ms: number; rssKiB: number }) =>
      `${name.padEnd(42)} ${r.ms.toFixed(1).padStart(8)} ms   peak RSS ${(r.rssKiB / 1024).toFixed(1).padStart(6)} MiB`;
    process.stdout.write(`sparse image of ${SIZE_MIB} MiB, ESP ${ESP_SIZE_MIB} MiB; median of ${RUNS} runs, each in its own process\n`);
    process.stdout.write(`${row('measure (GPT, FAT, boot chain, PCRs)', measured)}\n`);
    process.stdout.write(`${row(`baseline: read the ESP (${ESP_SIZE_MIB} MiB)`, baseline)}\n`);
    return [
      {
        what: `measure: ${SIZE_MIB} MiB image, PCRs`,
        ours: measured.ms,
        unit: 'ms',
        baseline: { what: 'read the ESP', value: baseline.ms },
        peakRssMiB: measured.rssKiB / 1024,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
