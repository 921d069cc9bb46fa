/**
 * Renders the workflow's job summary (markdown for $GITHUB_STEP_SUMMARY) from the lookup table that
 * `osimage publish` prints: the uid, a table of image references and links to the published files.
 *
 *   osimage publish … > lookup-table.json
 *   node dist/scripts/job-summary.js --uid v2.2.0 --base-url https://cdn.example.com < lookup-table.json
 */
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LookupTable } from '../discovery/lookup-table.js';

export interface SummaryInput {
  uid: string;
  table: LookupTable;
  /** Where consumers read the store; without it the summary names the keys instead of linking them. */
  baseUrl?: string;
  dryRun?: boolean;
}

export function renderSummary({ uid, table, baseUrl, dryRun }: SummaryInput): string {
  const lines = [`## OS image ${dryRun ? 'rehearsal (dry run, nothing published)' : 'release'} \`${uid}\``, ''];
  const rows = referenceRows(table);
  if (rows.length > 0) {
    lines.push('| Cloud | Variant | Image reference |', '| --- | --- | --- |');
    for (const [csp, variant, reference] of rows) lines.push(`| ${csp} | ${variant} | ${cell(reference)} |`);
    lines.push('');
  }
  if (!dryRun) {
    lines.push('Published files:', '');
    for (const key of publishedKeys(uid, table)) lines.push(`- ${link(key, baseUrl)}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** [csp, variant (region, security type), reference], in the lookup table's order. */
function referenceRows(table: LookupTable): [string, string, string][] {
  return Object.entries(table).flatMap(([csp, value]): [string, string, string][] =>
    typeof value === 'string'
      ? [[csp, '', value]]
      : Object.entries(value as Record<string, string>).map(([variant, reference]): [string, string, string] => [csp, variant, reference]),
  );
}

function publishedKeys(uid: string, table: LookupTable): string[] {
  const measurements = Object.keys(table).flatMap((csp) => {
    const key = `measurements/${csp}/${uid}/measurements.yaml`;
    return [key, `${key}.sig`];
  });
  return [`images/${uid}.json`, `images/${uid}.json.sig`, 'images/versions.json', ...measurements];
}

function link(key: string, baseUrl: string | undefined): string {
  return baseUrl ? `[${key}](${baseUrl.replace(/\/+$/, '')}/${key})` : `\`${key}\``;
}

/** A table cell: references are code; pipes and backticks would break the markdown. */
function cell(value: string): string {
  return `\`${value.replaceAll('`', "'").replaceAll('|', '\\|')}\``;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { uid: { type: 'string' }, 'base-url': { type: 'string' }, 'dry-run': { type: 'string' } } });
  if (!values.uid) throw new Error('--uid is required');
  const input = (await text(process.stdin)).trim();
  const dryRun = values['dry-run'] === 'true';
  // A dry run publishes nothing and may print no table.
  const table = (input === '' ? {} : JSON.parse(input)) as LookupTable;
  process.stdout.write(renderSummary({ uid: values.uid, table, baseUrl: values['base-url'] || undefined, dryRun }));
}

// Run as a script (node resolves a symlinked path to the real file, hence realpath).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main(process.argv.slice(2));
