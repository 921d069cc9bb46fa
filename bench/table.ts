/**
 * One row of `npm run bench`'s table: what osimage took beside the baseline measured in the same run, and what it
 * sent and held. Every benchmark returns its rows; bench/index.ts prints them together.
 */
export interface BenchRow {
  what: string;
  /** Seconds (or milliseconds, per `unit`) osimage took. */
  ours: number;
  baseline?: { what: string; value: number };
  unit?: 's' | 'ms';
  /** Bytes osimage sent (or wrote), and what that is measured against, e.g. "of 4.0 MiB gzip'd data". */
  sent?: { bytes: number; against?: number };
  peakRssMiB?: number;
}

const MiB = 1024 * 1024;

export function printTable(rows: BenchRow[]): void {
  const header = ['what', 'osimage', 'baseline', 'ratio', 'sent', 'sent ratio', 'peak RSS'];
  const cells = rows.map((row) => {
    const unit = row.unit ?? 's';
    const value = (figure: number) => (unit === 's' ? `${figure.toFixed(2)} s` : `${figure.toFixed(0)} ms`);
    return [
      row.what,
      value(row.ours),
      row.baseline ? `${value(row.baseline.value)} ${row.baseline.what}` : '',
      row.baseline ? (row.ours / row.baseline.value).toFixed(2) : '',
      row.sent ? `${(row.sent.bytes / MiB).toFixed(2)} MiB` : '',
      row.sent?.against ? (row.sent.bytes / row.sent.against).toFixed(3) : '',
      row.peakRssMiB === undefined ? '' : `${row.peakRssMiB.toFixed(0)} MiB`,
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |\n`;
  process.stdout.write(`\n${line(header)}${line(widths.map((width) => '-'.repeat(width)))}`);
  for (const row of cells) process.stdout.write(line(row));
}
