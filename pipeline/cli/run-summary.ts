import type { Csp } from '../../discovery/version.js';
import { measurementsKey, signatureKey, tableKey } from '../../steps/publish/keys.js';
import type { RunContext } from '../context.js';
import { logFormat } from '../log-format.js';
import { formatDuration } from '../progress.js';
import { publicUrl } from '../public-url.js';

/**
 * The end of a run for the person who started it: what was published where, the URLs consumers read (the table,
 * each cloud's measurements, their signatures), the public key that verifies them, the warnings, the total time.
 * One structured line in JSON logs; a block of readable lines on a terminal and in GitHub Actions.
 */
export async function logSummary(ctx: RunContext): Promise<void> {
  for (const warning of ctx.warnings) ctx.log.warn(warning);
  const table = publicUrl(ctx.config, tableKey(ctx.uid));
  const measurements = Object.fromEntries(ctx.csps.map((csp) => [csp, publicUrl(ctx.config, measurementsKey(csp, ctx.uid))]));
  const { publicKeyPem } = await ctx.signer();
  const seconds = process.uptime();
  const summary = { uid: ctx.uid, references: ctx.table, table, signature: signatureKey(table), measurements, publicKey: publicKeyPem, seconds: Math.round(seconds), warnings: ctx.warnings };
  if (logFormat() === 'json') {
    ctx.log.info({ summary }, `published ${ctx.uid}`);
    return;
  }
  const lines = [
    `published ${ctx.uid} to ${ctx.csps.join(', ')} in ${formatDuration(seconds)}${ctx.warnings.length > 0 ? `, with ${ctx.warnings.length} ${ctx.warnings.length === 1 ? 'warning' : 'warnings'} (above)` : ''}`,
    ...ctx.csps.map((csp) => `  ${csp.padEnd(6)} ${describeReference(ctx.table?.[csp])}`),
    `  table  ${table} (signature: ${signatureKey(table)})`,
    ...ctx.csps.map((csp: Csp) => `  ${csp} measurements  ${measurements[csp]} (signature: .sig beside it)`),
    '  public key (osimage lookup --key, osimage measurements --key):',
    ...publicKeyPem.trim().split('\n').map((line) => `    ${line}`),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

function describeReference(reference: unknown): string {
  if (typeof reference === 'string') return reference;
  return Object.entries((reference ?? {}) as Record<string, string>).map(([key, value]) => `${key}: ${value}`).join('  ');
}
