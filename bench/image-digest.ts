/**
 * The image digest (pipeline/image-digest.ts) beside `sha256sum` of the same file: the build stage hashes every raw
 * image once, so it should cost no more than the standard tool (aim: at most 1.1×). A file of random bytes, read
 * warm from the page cache, so both measure hashing, not the disk. Each figure comes from its own process.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZE_MIB = 1024;
const RUNS = 5;

const digestScript = `
const { imageDigest } = await import(${JSON.stringify(new URL('../pipeline/image-digest.js', import.meta.url).href)});
const start = performance.now();
const digest = await imageDigest(process.argv[1]);
console.log(JSON.stringify({ ms: performance.now() - start, digest, rssKiB: process.resourceUsage().maxRSS }));`;

function timed(command: string, args: string[]): { ms: number; digest: string; rssKiB?: number } {
  const start = performance.now();
  const child = spawnSync(command, args, { encoding: 'utf8' });
  const wall = performance.now() - start;
  if (child.status !== 0) throw new Error(`${command}: ${child.stderr}`);
  if (command === 'sha256sum') return { ms: wall, digest: child.stdout.split(' ')[0]! };
  return JSON.parse(child.stdout) as { ms: number; digest: string; rssKiB: number };
}

function median<T extends { ms: number }>(run: () => T): T {
  const results = Array.from({ length: RUNS }, run).sort((a, b) => a.ms - b.ms);
  return results[Math.floor(RUNS / 2)]!;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-digest-'));
  try {
    const path = join(dir, 'image.raw');
    const file = await open(path, 'w');
    const chunk = randomBytes(1024 * 1024);
    for (let mib = 0; mib < SIZE_MIB; mib++) await file.write(chunk, 0, chunk.length, mib * chunk.length);
    await file.close();
    timed('sha256sum', [path]); // warm the page cache
    const ours = median(() => timed(process.execPath, ['--input-type=module', '-e', digestScript, path]));
    const tool = median(() => timed('sha256sum', [path]));
    if (ours.digest !== tool.digest) throw new Error(`the digests differ: ${ours.digest} vs ${tool.digest}`);
    const mibPerSecond = (ms: number) => (SIZE_MIB / (ms / 1000)).toFixed(0);
    process.stdout.write(`${SIZE_MIB} MiB of random bytes, warm cache; median of ${RUNS} runs, each in its own process\n`);
    process.stdout.write(`imageDigest (hashing only)   ${ours.ms.toFixed(0).padStart(7)} ms  ${mibPerSecond(ours.ms).padStart(5)} MiB/s  peak RSS ${((ours.rssKiB ?? 0) / 1024).toFixed(0)} MiB\n`);
    process.stdout.write(`sha256sum (whole process)    ${tool.ms.toFixed(0).padStart(7)} ms  ${mibPerSecond(tool.ms).padStart(5)} MiB/s\n`);
    process.stdout.write(`ratio                        ${(ours.ms / tool.ms).toFixed(2)}× (aim: at most 1.1×)\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
