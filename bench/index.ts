import { printTable, type BenchRow } from './table.js';

/**
 * `npm run bench`: every benchmark in turn, each measuring osimage beside its baseline in the same run; at the end
 * one table of all of them. `npm run bench -- NAME` runs one.
 */
const benchmarks: Record<string, () => Promise<{ run(): Promise<BenchRow[]> }>> = {
  'aws-upload': () => import('./aws-upload.js'),
  'gcp-tar': () => import('./gcp-tar.js'),
  'azure-vhd': () => import('./azure-vhd.js'),
  'peak-rss': () => import('./peak-rss.js'),
  'lookup-startup': () => import('./lookup-startup.js'),
  measure: () => import('./measure.js'),
};

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, load] of Object.entries(benchmarks)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name}\n`);
  rows.push(...(await (await load()).run()));
}
printTable(rows);
