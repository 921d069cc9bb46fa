import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './table.js';

/**
 * Cold start of `osimage lookup` against a local store, beside `node -e 0` measured in the same run, and the modules
 * a lookup loads: no cloud SDK, no pipeline, no config parser unless the config is where the URL comes from.
 */
const CLI = fileURLToPath(new URL('../../bin/osimage.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const UID = 'v2.2.0';
const TABLE = { aws: { 'eu-west-1': 'ami-0123456789abcdef0' }, qemu: 'https://cdn.example.com/raw/v2.2.0/qemu.raw' };
/**
 * Reports the child's CPU time (user + system) at exit. On a busy machine wall time mostly measures the neighbours;
 * CPU time is what the start-up itself costs. The same hook runs in every case, baseline included.
 */
const REPORT_CPU = `data:text/javascript,${encodeURIComponent(
  'process.on("exit", () => { const { user, system } = process.cpuUsage(); process.stderr.write(`CPU ${(user + system) / 1000}\\n`); });',
)}`;
/** Logs every module a run resolves; only used for the module list, never while timing. */
const LIST_MODULES = `data:text/javascript,${encodeURIComponent(
  'import { register } from "node:module";' +
    'register("data:text/javascript," + encodeURIComponent(' +
    '"export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(\\"MODULE \\" + r.url + \\"\\\\n\\"); return r; }"));',
)}`;

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'osimage-bench-lookup-'));
  try {
    // The layout of a local run: the embedded config reads file://.osimage/bucket in the working directory.
    mkdirSync(join(dir, '.osimage/bucket/images'), { recursive: true });
    writeFileSync(join(dir, `.osimage/bucket/images/${UID}.json`), JSON.stringify(TABLE));
    const lookup = ['lookup', UID, '--csp', 'aws', '--region', 'eu-west-1', '--no-cache'];
    const cases: Array<[string, string[]]> = [
      ['node -e 0 (baseline)', ['-e', '0']],
      ['lookup --base-url file://…', [CLI, ...lookup, '--base-url', 'file://.osimage/bucket']],
      ['lookup (URL from the embedded config)', [CLI, ...lookup]],
      // For comparison, what commander and the registry of every command cost: lookup's help goes through them.
      ['lookup --help (through commander)', [CLI, 'lookup', '--help']],
    ];
    const wall = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    const cpu = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    // Interleaved, so that a busy neighbour slows every case alike.
    for (let round = 0; round < RUNS; round++) {
      for (const [name, args] of cases) {
        const run = timeRun(dir, args);
        wall.get(name)!.push(run.wallMs);
        cpu.get(name)!.push(run.cpuMs);
      }
    }
    const [baseWall, baseCpu] = [median(wall.get(cases[0]![0])!), median(cpu.get(cases[0]![0])!)];
    process.stdout.write(`${RUNS} runs each, medians:              wall       cpu (user+sys)\n`);
    for (const [name] of cases) {
      const [w, c] = [median(wall.get(name)!), median(cpu.get(name)!)];
      const extra = name === cases[0]![0] ? '' : `   (+${(w - baseWall).toFixed(0)} ms wall, +${(c - baseCpu).toFixed(0)} ms cpu)`;
      process.stdout.write(`  ${name.padEnd(38)} ${w.toFixed(0).padStart(5)} ms ${c.toFixed(0).padStart(5)} ms${extra}\n`);
    }
    for (const [name, args] of cases.slice(1, 3)) {
      const modules = listModules(dir, args);
      const packages = [...new Set(modules.map(packageOf).filter((name): name is string => name !== undefined))].sort();
      const ours = modules.filter((url) => url.includes('/dist/')).length;
      const sdk = packages.filter((name) => /^@aws-sdk|^@azure|^@google-cloud|^googleapis/.test(name));
      process.stdout.write(
        `  ${name}: ${ours} modules of ours, packages: ${packages.join(', ') || 'none'}; cloud SDKs: ${sdk.length > 0 ? sdk.join(', ') : 'none'}\n`,
      );
    }
    return cases.slice(1, 3).map(([name]) => ({
      what: `lookup start-up: ${name}`,
      ours: median(wall.get(name)!),
      unit: 'ms' as const,
      baseline: { what: 'node -e 0', value: baseWall },
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeRun(cwd: string, args: string[]): { wallMs: number; cpuMs: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', REPORT_CPU, ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(cwd, 'cache') } });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = /^CPU ([\d.]+)$/m.exec(result.stderr);
  if (result.status !== 0 || !cpu) throw new Error(`node ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { wallMs, cpuMs: Number(cpu[1]) };
}

function listModules(cwd: string, args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', LIST_MODULES, ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(cwd, 'cache') } });
  if (result.status !== 0) throw new Error(`listing modules failed: ${result.stderr}`);
  return [...new Set(result.stderr.split('\n').filter((line) => line.startsWith('MODULE ')).map((line) => line.slice('MODULE '.length)))];
}

function packageOf(url: string): string | undefined {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match?.[1];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
