/**
 * `npm run bench`: every benchmark in turn, each printing what it measured next to its baseline in the same run.
 * `npm run bench -- NAME` runs one.
 */
const benchmarks: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  'aws-upload': () => import('./aws-upload.js'),
  measure: () => import('./measure.js'),
  'azure-vhd': () => import('./azure-vhd.js'),
  'lookup-startup': () => import('./lookup-startup.js'),
  'gcp-tar': () => import('./gcp-tar.js'),
  'image-digest': () => import('./image-digest.js'),
};

const only = process.argv.slice(2);
for (const [name, load] of Object.entries(benchmarks)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name}\n`);
  await (await load()).run();
}
