import type { Readiness, Section } from '../readiness.js';
import type { Palette } from './colors.js';

/**
 * The readiness report as people read it: every check as a ✔/✘ line, a failed one with its cause and its fix; in a
 * dry run then the plan, each scope's writes as a numbered list and the references a real run would produce.
 */
export function formatReadiness(readiness: Readiness, colors: Palette, title: string): string {
  const lines = [colors.bold(title), ''];
  for (const section of readiness.sections.filter((candidate) => candidate.checks.length > 0)) {
    lines.push(colors.bold(section.scope));
    for (const check of section.checks) {
      if (check.ok) {
        lines.push(`  ${colors.green('✔')} ${check.what}`);
        continue;
      }
      lines.push(`  ${colors.red('✘')} ${check.what}`, `      cause: ${check.cause}`, `      fix:   ${check.fix}`);
    }
  }
  const planned = readiness.sections.filter((section) => section.writes !== undefined);
  if (planned.length > 0) lines.push('', colors.bold('Plan (a real run would do this, in this order)'));
  for (const section of planned) lines.push(...planLines(section, colors));
  const failures = readiness.failures.length;
  const writes = planned.reduce((sum, section) => sum + section.writes!.length, 0);
  lines.push(
    '',
    failures > 0
      ? colors.red(`Not ready: ${failures} ${failures === 1 ? 'check' : 'checks'} failed; a real run would stop before its first write.`)
      : colors.green(planned.length > 0 ? `Ready: a real run would make ${writes} writes.` : 'Ready: every check passed.'),
  );
  return `${lines.join('\n')}\n`;
}

function planLines(section: Section, colors: Palette): string[] {
  const writes = section.writes!;
  const lines = [`${colors.bold(section.scope)}: ${writes.length === 0 ? 'nothing to write (everything exists and is reused)' : `${writes.length} writes`}`];
  writes.forEach((write, index) => lines.push(`  ${index + 1}. ${write}`));
  if (section.reference !== undefined) lines.push(...referenceLines(section.reference).map((line) => `  ${colors.dim('→')} ${line}`));
  return lines;
}

/** A planned lookup-table entry: a URL, or key → reference per region or security type. */
function referenceLines(reference: unknown): string[] {
  if (typeof reference === 'string') return [reference];
  return Object.entries(reference as Record<string, string>).map(([key, value]) => `${key}: ${value}`);
}

/** The same report for machines (`--plan-out`, `--output json`). */
export function readinessJson(readiness: Readiness, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...extra, ready: readiness.failures.length === 0, sections: readiness.sections }, null, 2)}\n`;
}
