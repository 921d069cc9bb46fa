import { parseLookupTable } from '../discovery/lookup-table.js';
import { EMPTY_MANIFEST, formatManifest, parseManifest, tableDigest, withTable } from '../discovery/manifest.js';
import { verifySignature } from '../discovery/signature.js';
import { isRelease, type Csp } from '../discovery/version.js';
import { addToIndex, EMPTY_INDEX, formatVersionsIndex, parseVersionsIndex, type VersionsIndex } from '../discovery/versions-index.js';
import type { RunContext } from '../pipeline/context.js';
import { crashPoint } from '../pipeline/crash-point.js';
import { ConflictError, OsimageError, PreconditionFailedError } from '../pipeline/errors.js';
import { DIGEST_METADATA, RUN_METADATA, runIdentity, runTag } from '../pipeline/run-identity.js';
import type { Stage } from '../pipeline/stage.js';
import type { PutOptions, StoredObject } from '../pipeline/store/object-store.js';
import { formatLookupTable, schemesOf } from './assemble.js';
import { growTable } from './publish/grow-table.js';
import { MANIFEST_KEY, measurementsKey, signatureKey, tableKey, VERSIONS_KEY } from './publish/keys.js';
import { INDEX_RECORD, TABLE_RECORD, isThisRunsTable } from './publish/resume.js';

const RELEASE_CACHE = 'public, max-age=31536000, immutable';
const PSEUDO_CACHE = 'public, max-age=60';
const INDEX_CACHE = 'public, max-age=60';
/** Concurrent pipelines may race on versions.json and the manifest; each retry rereads it. */
const INDEX_ATTEMPTS = 10;

/**
 * Publishes in the order that keeps consumers safe (DESIGN.md "Publication rules"): measurements first, then the
 * lookup table, the commit point, then its signature, the signed manifest and the index. A dry run lists these
 * writes and makes none.
 *
 * Every object of a release is created, never overwritten (create-only writes): a racing loser changes nothing.
 * An object that exists already is accepted only when it is what this run would write (a rerun of the same run);
 * the table only when its metadata names this run's identity. So a rerun finishes what a killed run of the same
 * identity started, at whatever write it died, and a run of another identity exits 3.
 *
 * The table's signature follows the table rather than preceding it: were it first, a conditional table write that
 * lost a race would leave our signature beside someone else's table for good.
 */
export const publishStage: Stage = {
  name: 'publish',
  async run(ctx) {
    if (ctx.dryRun) {
      const writes = [
        ...ctx.csps.flatMap((csp) => [measurementsKey(csp, ctx.uid), signatureKey(measurementsKey(csp, ctx.uid))]),
        tableKey(ctx.uid),
        signatureKey(tableKey(ctx.uid)),
        MANIFEST_KEY,
        VERSIONS_KEY,
      ];
      ctx.log.info({ store: ctx.store.location, writes }, `dry run: would publish ${writes.length} files`);
      return;
    }
    const journal = await ctx.journal('run');
    const signer = await ctx.signer();
    const published = await publishTable(ctx, await ctx.store.get(tableKey(ctx.uid)));
    await journal.record(TABLE_RECORD, { etag: published.etag, run: runIdentity(ctx) });
    crashPoint('publish:table-recorded');
    await createOnce(ctx, signatureKey(tableKey(ctx.uid)), signer.sign(published.body), { contentType: 'text/plain', ...publicationOptions(ctx) }, (existing) =>
      signedByUs(published.body, existing, signer.publicKeyPem),
    );
    crashPoint('publish:table-signed');
    const digest = tableDigest(published.body);
    await updateIndex(ctx, MANIFEST_KEY, (current) => {
      const manifest = current ? parseManifest(current, MANIFEST_KEY) : EMPTY_MANIFEST;
      const updated = withTable(manifest, ctx.uid, digest);
      return updated === manifest ? undefined : formatManifest(updated, signer.sign);
    });
    crashPoint('publish:manifest');
    await updateIndex(ctx, VERSIONS_KEY, (current) => {
      const index: VersionsIndex = current ? parseVersionsIndex(current.toString('utf8')) : EMPTY_INDEX;
      const updated = addToIndex(index, ctx.uid);
      return updated === index ? undefined : formatVersionsIndex(updated);
    });
    crashPoint('publish:index');
    await journal.record(INDEX_RECORD, true);
    ctx.log.info({ table: `${ctx.store.location}/${tableKey(ctx.uid)}` }, `lookup table of ${ctx.uid} published`);
  },
};

/** Writes the measurements and the table as the rules allow, and returns the table as published. */
async function publishTable(ctx: RunContext, existing: StoredObject | undefined): Promise<{ body: Buffer; etag: string }> {
  const table = formatLookupTable(ctx.table!);
  const key = tableKey(ctx.uid);
  const options: PutOptions = { contentType: 'application/json', ...publicationOptions(ctx) };
  if (!isRelease(ctx.version) || !existing) {
    await Promise.all(ctx.csps.map((csp) => publishMeasurements(ctx, csp)));
    crashPoint('publish:measurements');
    const { etag } = await createOnce(ctx, key, table, options, (other) => isThisRunsTable(ctx, other, table));
    crashPoint('publish:table');
    return { body: Buffer.from(table), etag };
  }
  if (!ctx.extend) {
    if (!isThisRunsTable(ctx, existing, table)) throw new ConflictError(`release ${ctx.uid} is already published by another run; nothing was changed`);
    ctx.log.info({ uid: ctx.uid }, 'this run identity created the lookup table before it stopped; finishing the publication');
    return existing;
  }

  const current = parseLookupTable(existing.body, { allow: schemesOf(ctx.config.publicBaseUrl) });
  const grown = formatLookupTable(growTable(ctx.uid, current, ctx.table!));
  const added = ctx.csps.filter((csp) => current[csp] === undefined);
  await Promise.all(ctx.csps.filter((csp) => !added.includes(csp)).map((csp) => checkMeasurementsUnchanged(ctx, csp)));
  if (grown === existing.body.toString('utf8')) {
    ctx.log.info(`release ${ctx.uid} already has every reference of this run`);
    return existing;
  }
  await Promise.all(added.map((csp) => publishMeasurements(ctx, csp)));
  // The grown table keeps the identity of the run that created the release.
  const kept = { ...options, metadata: { ...options.metadata, [RUN_METADATA]: existing.metadata[RUN_METADATA] ?? '' } };
  const { etag } = await conflictOnRace(ctx, () => ctx.store.put(key, grown, { ...kept, ifMatch: existing.etag }));
  ctx.log.info({ table: JSON.parse(grown) as unknown }, `grew release ${ctx.uid}`);
  return { body: Buffer.from(grown), etag };
}

/** Provenance, the run's identity, and the cache lifetime: on every object of the publication. */
function publicationOptions(ctx: RunContext): PutOptions {
  return {
    cacheControl: isRelease(ctx.version) ? RELEASE_CACHE : PSEUDO_CACHE,
    metadata: {
      uid: ctx.uid,
      version: ctx.version.text,
      commit: ctx.commit,
      published: new Date().toISOString(),
      tool: `osimage/${ctx.toolVersion}`,
      [RUN_METADATA]: runTag(runIdentity(ctx)),
    },
  };
}

async function publishMeasurements(ctx: RunContext, csp: Csp): Promise<void> {
  const { yaml, signature } = ctx.measurements[csp]!;
  if (!signature) throw new OsimageError(`the measurements of ${csp} are not signed; nothing is published unsigned`);
  const key = measurementsKey(csp, ctx.uid);
  const base = publicationOptions(ctx);
  const digest = ctx.images[csp]?.digest;
  const options: PutOptions = { ...base, metadata: { ...base.metadata, ...(digest ? { [DIGEST_METADATA]: digest } : {}) } };
  await createOnce(ctx, key, yaml, { ...options, contentType: 'application/yaml' }, (existing) => existing.body.toString('utf8') === yaml);
  const { publicKeyPem } = await ctx.signer();
  await createOnce(ctx, signatureKey(key), signature, { ...options, contentType: 'text/plain' }, (existing) =>
    signedByUs(Buffer.from(yaml), existing, publicKeyPem),
  );
}

/**
 * Writes an object of the publication. A release's objects are created, never overwritten: when the key exists,
 * the object there is accepted only if `isOurs` says it is what this run would write; otherwise the run stops with
 * a conflict, having changed nothing. A pseudo version's objects are simply replaced: it may be republished.
 */
async function createOnce(
  ctx: RunContext,
  key: string,
  body: string,
  options: PutOptions,
  isOurs: (existing: StoredObject) => boolean,
): Promise<{ etag: string }> {
  if (!isRelease(ctx.version)) return ctx.store.put(key, body, options);
  try {
    return await ctx.store.put(key, body, { ...options, ifNoneMatch: '*' });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
  const existing = await ctx.store.get(key);
  if (existing && isOurs(existing)) return existing;
  throw new ConflictError(
    `release ${ctx.uid} was published by another run while this one worked (${key} is not this run's); nothing was changed`,
    'two pipelines published the same release: check which one is right before anything else',
  );
}

function signedByUs(data: Buffer, signature: StoredObject, publicKeyPem: string): boolean {
  try {
    return verifySignature(data, signature.body.toString('utf8'), publicKeyPem);
  } catch {
    return false;
  }
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

/**
 * Read-modify-write of a shared index (versions.json, the manifest) on its ETag, so two pipelines publishing at
 * once never drop each other's entry. `update` returns the new body, or undefined when nothing changes.
 */
async function updateIndex(ctx: RunContext, key: string, update: (current: Buffer | undefined) => string | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.store.get(key);
    const body = update(current?.body);
    if (body === undefined) return;
    try {
      await ctx.store.put(key, body, {
        contentType: 'application/json',
        cacheControl: INDEX_CACHE,
        ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
      });
      return;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= INDEX_ATTEMPTS) throw error;
      ctx.log.info({ attempt, key }, `${key} changed while we updated it; reading it again`);
    }
  }
}
