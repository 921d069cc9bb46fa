import { isRelease } from '../../discovery/version.js';
import { parseVersionsIndex } from '../../discovery/versions-index.js';
import type { RunContext } from '../../pipeline/context.js';
import { RUN_METADATA, runIdentity, runTag } from '../../pipeline/run-identity.js';
import type { StoredObject } from '../../pipeline/store/object-store.js';
import { VERSIONS_KEY } from './keys.js';

/** The run journal's records: the table this run created (with the run's identity), and the finished index. */
export const TABLE_RECORD = 'lookup-table';
export const INDEX_RECORD = 'versions-index';

/**
 * Whether a published table is the one this run writes: the same bytes, written by this very run identity (same
 * uid, commit and image digests), which the table's metadata tells. Resuming it is finishing our own work; a run of
 * any other identity never adopts it.
 */
export function isThisRunsTable(ctx: RunContext, table: StoredObject, body: string): boolean {
  return table.metadata[RUN_METADATA] === runTag(runIdentity(ctx)) && table.body.toString('utf8') === body;
}

/**
 * A publication is finished once its uid is in versions.json, the last write; before that a table may stand without
 * its signature or index entries, left by a run that was killed.
 */
export async function isFinished(ctx: RunContext): Promise<boolean> {
  const index = await ctx.store.get(VERSIONS_KEY);
  if (!index) return false;
  const { releases, pseudo } = parseVersionsIndex(index.body.toString('utf8'));
  return (isRelease(ctx.version) ? releases : pseudo).includes(ctx.uid);
}
