import { parseLookupTable } from '../../discovery/lookup-table.js';
import { verifySignature } from '../../discovery/signature.js';
import type { Version } from '../../discovery/version.js';
import { ConflictError, InputError, PreconditionFailedError } from '../../pipeline/errors.js';
import { openJournal } from '../../pipeline/journal.js';
import { resolveSigner } from '../../pipeline/signing.js';
import { formatLookupTable, schemesOf } from '../assemble.js';
import { tableCacheControl } from '../publish.js';
import { growTable } from '../publish/grow-table.js';
import { signatureKey, tableKey } from '../publish/keys.js';
import type { LifecycleContext } from './context.js';

export interface ReplicationRequest {
  uid: string;
  version: Version;
  awsRegions: string[];
  azureRegions: string[];
  dryRun: boolean;
}

/**
 * Replicates a published uid to new regions from the images its table already names (no upload), then grows the
 * table by the new references on its ETag, under the `--extend` rules: no published reference ever changes. Azure
 * version ids are global, so Azure regions change the gallery only. Returns the table as published afterwards.
 */
export async function replicate(ctx: LifecycleContext, request: ReplicationRequest): Promise<string> {
  const { uid } = request;
  const published = await ctx.store.get(tableKey(uid));
  if (!published) throw new InputError(`${uid} is not published in ${ctx.store.location}: only a published uid can be replicated`, 'osimage versions lists the published uids');
  const table = parseLookupTable(published.body, { allow: schemesOf(ctx.config.publicBaseUrl) });
  const awsRegions = request.awsRegions.filter((region) => table.aws?.[region] === undefined);
  if (request.awsRegions.length > 0 && (!ctx.config.aws || !table.aws)) throw new InputError(`--aws-region: ${uid} has no AMIs to copy, or the config has no aws section`);
  if (request.azureRegions.length > 0 && (!ctx.config.azure || !table.azure)) throw new InputError(`--azure-region: ${uid} has no Azure images, or the config has no azure section`);

  if (request.dryRun) {
    const plan = [
      ...awsRegions.map((region) => `aws ${region}: CopyImage ${table.aws![ctx.config.aws!.import.region]} from ${ctx.config.aws!.import.region}, with its tags and launch permission`),
      ...request.azureRegions.map((region) => `azure ${region}: add the target region to the gallery image versions`),
    ];
    ctx.log.info({ plan }, `dry run: would replicate ${uid} with ${plan.length} changes`);
    return published.body.toString('utf8');
  }

  const added: Record<string, string> = {};
  if (awsRegions.length > 0) {
    const { replicateAws } = await import('./aws-replicate.js');
    const journal = await openJournal(ctx.journalStore, uid, 'aws');
    Object.assign(added, await replicateAws(ctx, ctx.config.aws!, { uid, version: request.version, published: table.aws!, regions: awsRegions, journal }));
  }
  if (request.azureRegions.length > 0) {
    const { replicateAzure } = await import('./azure-replicate.js');
    await replicateAzure(ctx, ctx.config.azure!, uid, request.version, request.azureRegions);
  }

  const body = formatLookupTable(growTable(uid, table, Object.keys(added).length > 0 ? { aws: added } : {}));
  if (body !== published.body.toString('utf8')) {
    try {
      await ctx.store.put(tableKey(uid), body, { contentType: 'application/json', cacheControl: tableCacheControl(request.version), metadata: published.metadata, ifMatch: published.etag });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      throw new ConflictError(`the lookup table of ${uid} changed while it was replicated; it was not changed`, 'run the same command again: the copies made are reused');
    }
    ctx.log.info({ regions: Object.keys(added) }, `grew the lookup table of ${uid}`);
  }
  await ensureSigned(ctx, uid, Buffer.from(body), request.version);
  return body;
}

/** The table's signature follows the table, also when a rerun finds the table grown but the signature not yet written. */
async function ensureSigned(ctx: LifecycleContext, uid: string, body: Buffer, version: Version): Promise<void> {
  const signer = await resolveSigner(ctx.config, ctx.log);
  const key = signatureKey(tableKey(uid));
  const current = await ctx.store.get(key);
  if (current && verifySignature(body, current.body.toString('utf8').trim(), signer.publicKeyPem)) return;
  await ctx.store.put(key, signer.sign(body), { contentType: 'text/plain', cacheControl: tableCacheControl(version), metadata: current?.metadata });
}
