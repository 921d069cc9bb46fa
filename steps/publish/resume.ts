import type { RunContext } from '../../pipeline/context.js';

/** The run journal's record of the lookup table this run created: its ETag. */
export const TABLE_RECORD = 'lookup-table';
export const INDEX_RECORD = 'versions-index';

/**
 * True when this run's journal shows it created exactly the table now published, but stopped before it finished
 * the publication: resuming is then finishing its own work, not overwriting a release.
 */
export async function publishedByThisRun(ctx: RunContext, etag: string): Promise<boolean> {
  const journal = await ctx.journal('run');
  return journal.get<string>(TABLE_RECORD) === etag && journal.get(INDEX_RECORD) === undefined;
}
