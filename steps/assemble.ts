import { CSPS } from '../discovery/version.js';
import type { LookupTable } from '../discovery/lookup-table.js';
import { OsimageError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';

/**
 * Builds the lookup table from the references of the clouds this run built, in one canonical form (clouds in a
 * fixed order, keys sorted) so that the same references always give the same bytes, however they were gathered.
 */
export const assembleStage: Stage = {
  name: 'assemble',
  async run(ctx) {
    const missing = ctx.csps.filter((csp) => ctx.references[csp] === undefined || (!ctx.dryRun && !ctx.measurements[csp]));
    if (missing.length > 0) {
      throw new OsimageError(`no image reference or measurements for ${missing.join(', ')}; nothing is published`);
    }
    ctx.table = canonicalTable(ctx.references);
  },
};

export function canonicalTable(references: LookupTable): LookupTable {
  const table: Record<string, unknown> = {};
  for (const csp of CSPS) {
    const reference = references[csp];
    if (reference === undefined) continue;
    table[csp] = typeof reference === 'string' ? reference : sortKeys(reference);
  }
  return table as LookupTable;
}

export function formatLookupTable(table: LookupTable): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}

function sortKeys(entries: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
}
