import type { LookupTable } from '../../discovery/lookup-table.js';
import { ConflictError } from '../../pipeline/errors.js';
import { canonicalTable } from '../assemble.js';

/**
 * A published release's table may only grow (DESIGN.md): the result holds every published reference unchanged
 * plus what this run adds. Any reference this run would change is a conflict, and nothing is written.
 */
export function growTable(uid: string, published: LookupTable, addition: LookupTable): LookupTable {
  const merged: Record<string, unknown> = { ...published };
  const changed: string[] = [];
  for (const [csp, reference] of Object.entries(addition) as Array<[keyof LookupTable, unknown]>) {
    const current = published[csp];
    if (current === undefined) {
      merged[csp] = reference;
    } else if (typeof reference === 'string' || typeof current === 'string') {
      if (reference !== current) changed.push(csp);
    } else {
      const entries: Record<string, unknown> = { ...current };
      for (const [key, value] of Object.entries(reference as Record<string, string>)) {
        if (entries[key] !== undefined && entries[key] !== value) changed.push(`${csp}.${key}`);
        entries[key] = entries[key] ?? value;
      }
      merged[csp] = entries;
    }
  }
  if (changed.length > 0) {
    throw new ConflictError(
      `release ${uid} is published and this run would change its references ${changed.join(', ')}; nothing was changed`,
      'a published release only grows (new regions or clouds); publish a new version for new images',
    );
  }
  return canonicalTable(merged as LookupTable);
}
