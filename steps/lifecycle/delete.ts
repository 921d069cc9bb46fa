import { parseLookupTable, type LookupTable } from '../../discovery/lookup-table.js';
import { CSPS } from '../../discovery/version.js';
import { parseVersionsIndex, removeFromIndex } from '../../discovery/versions-index.js';
import { AbortedError, InputError } from '../../pipeline/errors.js';
import { journalKey, openJournal } from '../../pipeline/journal.js';
import { schemesOf } from '../assemble.js';
import { measurementsKey, rawImageKey, signatureKey, tableKey, VERSIONS_KEY } from '../publish/keys.js';
import { updateVersionsIndex } from '../publish/update-index.js';
import { LIFECYCLE_CSPS, openCloud, type CloudOptions, type LifecycleCsp } from './clouds.js';
import type { LifecycleContext } from './context.js';
import { formatResources } from './report.js';
import { resourceKey, type CloudLifecycle, type OwnedResource } from './resource.js';

/** The journal scope of a deletion: its plan, then one record per resource deleted. */
const DELETE_SCOPE = 'delete';
const PLAN_RECORD = 'plan';

export interface DeletionPlan {
  uid: string;
  /** Whether the uid is in versions.json or has a table: unpublishing comes first. */
  published: boolean;
  /** In the order they go: each cloud's (AMIs before their snapshots), then the store's files. */
  resources: OwnedResource[];
  /** A deletion that started earlier: its recorded plan is finished, whatever the world shows now. */
  resuming: boolean;
}

/**
 * Everything a uid owns, read-only: what its lookup table and its journal name and what carries its tags in each
 * configured cloud, its raw image and its measurements. A deletion that was interrupted is resumed from the plan it
 * recorded, since its table may be gone by now.
 */
export async function planDeletion(ctx: LifecycleContext, uid: string, options: CloudOptions): Promise<DeletionPlan> {
  const journal = await openJournal(ctx.journalStore, uid, DELETE_SCOPE);
  const recorded = journal.get<OwnedResource[]>(PLAN_RECORD);
  if (recorded) return { uid, published: true, resources: recorded, resuming: true };

  const tableObject = await ctx.store.get(tableKey(uid));
  const table = tableObject ? parseLookupTable(tableObject.body, { allow: schemesOf(ctx.config.publicBaseUrl) }) : undefined;
  const index = await ctx.store.get(VERSIONS_KEY);
  const listed = index ? parseVersionsIndex(index.body.toString('utf8')) : undefined;
  const indexed = listed !== undefined && removeFromIndex(listed, uid) !== listed;

  const resources: OwnedResource[] = [];
  for (const csp of LIFECYCLE_CSPS) resources.push(...(await cloudResources(ctx, csp, uid, table, options)));
  resources.push(...(await storeResources(ctx, uid)));

  const published = tableObject !== undefined || indexed;
  if (!published && resources.length === 0) {
    throw new InputError(`nothing of ${uid} is published in ${ctx.store.location} or left in the configured clouds`, 'check the uid (osimage versions lists them) and the config');
  }
  return { uid, published, resources, resuming: false };
}

/**
 * Deletes what the plan names, in the order that keeps consumers safe (DESIGN.md "Publication rules"): the uid
 * leaves versions.json, then its table and signature go, and only then its images and measurements. The plan is
 * recorded before the first write and each deletion when it is done, so a rerun after a crash goes on where it
 * stopped; a resource already gone counts as deleted. The uid's journals go last.
 */
export async function applyDeletion(ctx: LifecycleContext, plan: DeletionPlan, options: CloudOptions): Promise<void> {
  const { uid } = plan;
  const journal = await openJournal(ctx.journalStore, uid, DELETE_SCOPE);
  if (!plan.resuming) await journal.record(PLAN_RECORD, plan.resources);
  await unpublish(ctx, uid);

  const clouds = new Map<LifecycleCsp, CloudLifecycle>();
  try {
    for (const resource of plan.resources) {
      if (ctx.signal.aborted) throw new AbortedError();
      const done = `deleted/${resourceKey(resource)}`;
      if (journal.get(done)) continue;
      if (resource.csp === 'store') {
        await ctx.store.delete(resource.id);
      } else {
        const csp = resource.csp as LifecycleCsp;
        if (!clouds.has(csp)) clouds.set(csp, (await openCloud(ctx, csp, options))!);
        await clouds.get(csp)!.delete(resource);
      }
      await journal.record(done, true);
      ctx.log.info({ resource }, `deleted ${resource.kind} ${resource.id}`);
    }
  } finally {
    for (const cloud of clouds.values()) await cloud.close();
  }
  for (const scope of [...CSPS, 'run']) await ctx.journalStore.delete(journalKey(uid, scope));
  await ctx.journalStore.delete(journalKey(uid, DELETE_SCOPE));
  ctx.log.info({ uid, resources: plan.resources.length }, `deleted ${uid}`);
}

/** Out of versions.json first, so no listing offers it; then the table, the commit point; then its signature. */
export async function unpublish(ctx: LifecycleContext, uid: string): Promise<void> {
  await updateVersionsIndex(ctx.store, ctx.log, (index) => removeFromIndex(index, uid));
  await ctx.store.delete(tableKey(uid));
  await ctx.store.delete(signatureKey(tableKey(uid)));
}

export function formatDeletion(plan: DeletionPlan, applied: boolean): string {
  const head = `${applied ? 'deleted' : 'would delete (a dry run: --apply deletes)'} ${plan.uid}${plan.resuming ? ', resuming an earlier deletion' : ''}:\n`;
  const unpublishing = plan.published ? `  unpublish ${VERSIONS_KEY} entry, ${tableKey(plan.uid)}, ${signatureKey(tableKey(plan.uid))}\n` : '';
  return head + unpublishing + formatResources(plan.resources);
}

async function cloudResources(ctx: LifecycleContext, csp: LifecycleCsp, uid: string, table: LookupTable | undefined, options: CloudOptions): Promise<OwnedResource[]> {
  const reference = table?.[csp];
  const cloud = await openCloud(ctx, csp, options);
  if (!cloud) {
    if (reference === undefined) return [];
    throw new InputError(
      `the lookup table of ${uid} names ${csp} images, but the config has no ${csp} section to delete them with`,
      `use the config the uid was published with; nothing was deleted`,
    );
  }
  try {
    const journal = await openJournal(ctx.journalStore, uid, csp);
    return await cloud.inventory({ uid, reference, journal: journal.entries() });
  } finally {
    await cloud.close();
  }
}

/** The raw image served by URL and every cloud's measurements with their signatures. */
async function storeResources(ctx: LifecycleContext, uid: string): Promise<OwnedResource[]> {
  const keys = [rawImageKey(uid), ...CSPS.flatMap((csp) => [measurementsKey(csp, uid), signatureKey(measurementsKey(csp, uid))])];
  const resources: OwnedResource[] = [];
  for (const key of keys) {
    const info = await ctx.store.head(key);
    if (info) resources.push({ csp: 'store', location: ctx.store.location, kind: 'object', id: key, sizeBytes: info.size });
  }
  return resources;
}
