import { isRelease, type Csp } from '../discovery/version.js';
import { addToIndex, EMPTY_INDEX, formatVersionsIndex, parseVersionsIndex } from '../discovery/versions-index.js';
import type { RunContext } from '../pipeline/context.js';
import { ConflictError, OsimageError, PreconditionFailedError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import type { PutOptions } from '../pipeline/store/object-store.js';
import { formatLookupTable } from './assemble.js';
import { measurementsKey, signatureKey, tableKey, VERSIONS_KEY } from './publish/keys.js';
import { INDEX_RECORD, publishedByThisRun, TABLE_RECORD } from './publish/resume.js';

const RELEASE_CACHE = 'public, max-age=31536000, immutable';
const PSEUDO_CACHE = 'public, max-age=60';
const INDEX_CACHE = 'public, max-age=60';
/** Concurrent pipelines may race on versions.json; each retry rereads it. */
const INDEX_ATTEMPTS = 10;

/**
 * Publishes in the order that keeps consumers safe (DESIGN.md "Publication rules"): measurements first, then the
 * lookup table, the commit point, then the index. A dry run lists these writes and makes none.
 */
export const publishStage: Stage = {
  name: 'publish',
  async run(ctx) {
    const table = formatLookupTable(ctx.table!);
    if (ctx.dryRun) {
      const writes = [
        ...ctx.csps.flatMap((csp) => [measurementsKey(csp, ctx.uid), signatureKey(measurementsKey(csp, ctx.uid))]),
        signatureKey(tableKey(ctx.uid)),
        tableKey(ctx.uid),
        VERSIONS_KEY,
      ];
      ctx.log.info({ store: ctx.store.location, writes }, `dry run: would publish ${writes.length} files`);
      return;
    }
    const journal = await ctx.journal('run');
    const existing = await ctx.store.head(tableKey(ctx.uid));
    const resuming = existing !== undefined && isRelease(ctx.version) && (await publishedByThisRun(ctx, existing.etag));
    if (!resuming) {
      await Promise.all(ctx.csps.map((csp) => publishMeasurements(ctx, csp)));
      const etag = await publishTable(ctx, table);
      await journal.record(TABLE_RECORD, etag);
    }
    await addToVersionsIndex(ctx);
    await journal.record(INDEX_RECORD, true);
    ctx.log.info({ table: `${ctx.store.location}/${tableKey(ctx.uid)}` }, `published ${ctx.uid}`);
  },
};

function provenance(ctx: RunContext): Record<string, string> {
  return { uid: ctx.uid, version: ctx.version.text, commit: ctx.commit, published: new Date().toISOString(), tool: `osimage/${ctx.toolVersion}` };
}

async function publishMeasurements(ctx: RunContext, csp: Csp): Promise<void> {
  const measurements = ctx.measurements[csp]!;
  if (!measurements.signature) throw new OsimageError(`the measurements of ${csp} are not signed; nothing is published unsigned`);
  const key = measurementsKey(csp, ctx.uid);
  const options: PutOptions = { cacheControl: cacheControl(ctx), metadata: provenance(ctx) };
  await ctx.store.put(key, measurements.yaml, { ...options, contentType: 'application/yaml' });
  await ctx.store.put(signatureKey(key), measurements.signature, { ...options, contentType: 'text/plain' });
}

/** The commit point. A release's table is created once and never replaced; a pseudo version's may be. */
async function publishTable(ctx: RunContext, table: string): Promise<string> {
  const key = tableKey(ctx.uid);
  const options: PutOptions = { contentType: 'application/json', cacheControl: cacheControl(ctx), metadata: provenance(ctx) };
  // The signature goes first, so a consumer that verifies never sees a table without its signature.
  await ctx.store.put(signatureKey(key), ctx.signer.sign(Buffer.from(table)), { ...options, contentType: 'text/plain' });
  try {
    const { etag } = await ctx.store.put(key, table, isRelease(ctx.version) ? { ...options, ifNoneMatch: '*' } : options);
    return etag;
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    throw new ConflictError(
      `release ${ctx.uid} was published by someone else while this run worked; its lookup table was not changed`,
      'two pipelines published the same release: check which one is right before anything else',
    );
  }
}

/** Read-modify-write on the ETag, so two pipelines publishing at once never drop each other's entry. */
async function addToVersionsIndex(ctx: RunContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.store.get(VERSIONS_KEY);
    const index = current ? parseVersionsIndex(current.body.toString('utf8')) : EMPTY_INDEX;
    const updated = addToIndex(index, ctx.uid);
    if (updated === index) return;
    try {
      await ctx.store.put(VERSIONS_KEY, formatVersionsIndex(updated), {
        contentType: 'application/json',
        cacheControl: INDEX_CACHE,
        ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
      });
      return;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= INDEX_ATTEMPTS) throw error;
      ctx.log.info({ attempt }, 'versions.json changed while we updated it; reading it again');
    }
  }
}

function cacheControl(ctx: RunContext): string {
  return isRelease(ctx.version) ? RELEASE_CACHE : PSEUDO_CACHE;
}
