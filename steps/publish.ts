import { parseLookupTable } from '../discovery/lookup-table.js';
import { isRelease, type Csp, type Version } from '../discovery/version.js';
import { addToIndex } from '../discovery/versions-index.js';
import type { RunContext } from '../pipeline/context.js';
import { ConflictError, OsimageError, PreconditionFailedError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import type { PutOptions, StoredObject } from '../pipeline/store/object-store.js';
import { formatLookupTable, schemesOf } from './assemble.js';
import { growTable } from './publish/grow-table.js';
import { measurementsKey, signatureKey, tableKey, VERSIONS_KEY } from './publish/keys.js';
import { INDEX_RECORD, publishedByThisRun, TABLE_RECORD } from './publish/resume.js';
import { updateVersionsIndex } from './publish/update-index.js';

const RELEASE_CACHE = 'public, max-age=31536000, immutable';
const PSEUDO_CACHE = 'public, max-age=60';

/**
 * Publishes in the order that keeps consumers safe (DESIGN.md "Publication rules"): measurements first, then the
 * lookup table, the commit point, then its signature and the index. A dry run lists these writes and makes none.
 *
 * The table's signature follows the table rather than preceding it: were it first, a conditional table write that
 * lost a race would leave our signature beside someone else's table for good. This way a consumer that verifies can
 * at worst see a table whose signature is a moment late, and fails closed.
 */
export const publishStage: Stage = {
  name: 'publish',
  async run(ctx) {
    if (ctx.dryRun) {
      const writes = [
        ...ctx.csps.flatMap((csp) => [measurementsKey(csp, ctx.uid), signatureKey(measurementsKey(csp, ctx.uid))]),
        tableKey(ctx.uid),
        signatureKey(tableKey(ctx.uid)),
        VERSIONS_KEY,
      ];
      ctx.log.info({ store: ctx.store.location, writes }, `dry run: would publish ${writes.length} files`);
      return;
    }
    const journal = await ctx.journal('run');
    const published = await publishTable(ctx, await ctx.store.get(tableKey(ctx.uid)));
    await journal.record(TABLE_RECORD, published.etag);
    await ctx.store.put(signatureKey(tableKey(ctx.uid)), (await ctx.signer()).sign(published.body), {
      contentType: 'text/plain',
      cacheControl: cacheControl(ctx),
      metadata: provenance(ctx),
    });
    await updateVersionsIndex(ctx.store, ctx.log, (index) => addToIndex(index, ctx.uid));
    await journal.record(INDEX_RECORD, true);
    ctx.log.info({ table: `${ctx.store.location}/${tableKey(ctx.uid)}` }, `lookup table of ${ctx.uid} published`);
  },
};

/** Writes the measurements and the table as the rules allow, and returns the table as published. */
async function publishTable(ctx: RunContext, existing: StoredObject | undefined): Promise<{ body: Buffer; etag: string }> {
  const table = formatLookupTable(ctx.table!);
  const key = tableKey(ctx.uid);
  const options: PutOptions = { contentType: 'application/json', cacheControl: cacheControl(ctx), metadata: provenance(ctx) };
  if (!isRelease(ctx.version) || !existing) {
    await Promise.all(ctx.csps.map((csp) => publishMeasurements(ctx, csp)));
    const condition: PutOptions = isRelease(ctx.version) ? { ifNoneMatch: '*' } : {};
    const { etag } = await conflictOnRace(ctx, () => ctx.store.put(key, table, { ...options, ...condition }));
    return { body: Buffer.from(table), etag };
  }
  if (await publishedByThisRun(ctx, existing.etag)) return existing;
  if (!ctx.extend) throw new ConflictError(`release ${ctx.uid} is already published; nothing was changed`);

  const current = parseLookupTable(existing.body, { allow: schemesOf(ctx.config.publicBaseUrl) });
  const grown = formatLookupTable(growTable(ctx.uid, current, ctx.table!));
  const added = ctx.csps.filter((csp) => current[csp] === undefined);
  await Promise.all(ctx.csps.filter((csp) => !added.includes(csp)).map((csp) => checkMeasurementsUnchanged(ctx, csp)));
  if (grown === existing.body.toString('utf8')) {
    ctx.log.info(`release ${ctx.uid} already has every reference of this run`);
    return existing;
  }
  await Promise.all(added.map((csp) => publishMeasurements(ctx, csp)));
  const { etag } = await conflictOnRace(ctx, () => ctx.store.put(key, grown, { ...options, ifMatch: existing.etag }));
  ctx.log.info({ table: JSON.parse(grown) as unknown }, `grew release ${ctx.uid}`);
  return { body: Buffer.from(grown), etag };
}

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

/** Growing a release never touches the measurements it was published with: they describe the same image. */
async function checkMeasurementsUnchanged(ctx: RunContext, csp: Csp): Promise<void> {
  const published = await ctx.store.get(measurementsKey(csp, ctx.uid));
  if (published && published.body.toString('utf8') !== ctx.measurements[csp]!.yaml) {
    throw new ConflictError(
      `the ${csp} image of release ${ctx.uid} measures differently from the one published; nothing was changed`,
      'growing a release must use the same raw images it was published with',
    );
  }
}

async function conflictOnRace<T>(ctx: RunContext, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    throw new ConflictError(
      `release ${ctx.uid} was published or changed by someone else while this run worked; its lookup table was not changed`,
      'two pipelines published the same release: check which one is right before anything else',
    );
  }
}

function cacheControl(ctx: RunContext): string {
  return tableCacheControl(ctx.version);
}

/** Release files are immutable and cached long; a pseudo version may be republished. */
export function tableCacheControl(version: Version): string {
  return isRelease(version) ? RELEASE_CACHE : PSEUDO_CACHE;
}
