import type { GalleryImage, GalleryImageVersion } from '@azure/arm-compute';
import type { AzureSecurityType } from '../../../config/azure.js';
import { isRelease } from '../../../discovery/version.js';
import { checkDigest, DIGEST_METADATA } from '../../../pipeline/digest-check.js';
import { ConflictError, OsimageError } from '../../../pipeline/errors.js';
import type { Logger } from '../../../pipeline/logger.js';
import { resumable } from '../../../pipeline/journal.js';
import { arm, getIfExists, lroOptions, versionId, type AzureRun } from './arm.js';
import { deleteDisk, diskName, uploadDisk } from './disk.js';

/** The `SecurityType` feature an image definition needs for each image we build. */
export const definitionSecurityType: Record<AzureSecurityType, string> = {
  cvm: 'ConfidentialVMSupported',
  trustedlaunch: 'TrustedLaunch',
};

export interface GalleryRecord {
  id: string;
  /** The community gallery's public name, when the gallery is shared publicly. */
  publicName?: string;
}

export interface VersionRecord {
  id: string;
  /** What the lookup table holds: the community-gallery id when shared publicly, else the resource id. */
  reference: string;
}

const REPLICATION_LOG_EVERY_MS = 60_000;

/** The gallery, created when missing and shared as a community gallery when the config says so. */
export async function ensureGallery(run: AzureRun): Promise<GalleryRecord> {
  const { ctx, config, compute } = run;
  const read = async (): Promise<GalleryRecord | undefined> => {
    const gallery = await arm(`reading gallery ${config.gallery}`, () => getIfExists(() => compute.galleries.get(config.resourceGroup, config.gallery)));
    if (!gallery) return undefined;
    const info = gallery.sharingProfile?.communityGalleryInfo;
    const publicName = info?.communityGalleryEnabled ? info.publicNames?.[0] : undefined;
    // A gallery that should be shared but is not yet, is not finished: create() shares it.
    if (config.community && !publicName) return undefined;
    return { id: gallery.id!, publicName };
  };
  return resumable<GalleryRecord>(ctx.journal, 'gallery', {
    confirm: async (recorded) => (await read())?.id === recorded.id,
    find: read,
    create: async () => {
      ctx.log.info({ gallery: config.gallery }, 'creating the gallery');
      const gallery = await arm(`creating gallery ${config.gallery}`, () =>
        compute.galleries.createOrUpdate(
          config.resourceGroup,
          config.gallery,
          {
            location: config.location,
            description: 'OS images published by osimage',
            sharingProfile: config.community ? { permissions: 'Community', communityGalleryInfo: { ...config.community } } : undefined,
          },
          lroOptions(run),
        ),
      );
      if (!config.community) return { id: gallery.id! };
      ctx.log.info({ gallery: config.gallery }, 'sharing the gallery as a community gallery');
      await arm(`sharing gallery ${config.gallery} publicly`, () =>
        compute.gallerySharingProfile.update(config.resourceGroup, config.gallery, { operationType: 'EnableCommunity' }, lroOptions(run)),
      );
      const shared = await read();
      if (!shared) throw new OsimageError(`gallery ${config.gallery} was shared but has no community public name`);
      return shared;
    },
  });
}

/** The image definition for one security type: Linux, generalized, x64, Hyper-V generation 2. */
export async function ensureDefinition(run: AzureRun, type: AzureSecurityType): Promise<{ id: string }> {
  const { ctx, config, compute } = run;
  const definition = config.imageDefinitions[type]!;
  const read = async () => {
    const existing = await arm(`reading image definition ${definition.name}`, () =>
      getIfExists(() => compute.galleryImages.get(config.resourceGroup, config.gallery, definition.name)),
    );
    if (existing) checkDefinition(existing, type);
    return existing && { id: existing.id! };
  };
  return resumable(ctx.journal, `definition:${type}`, {
    confirm: async (recorded) => (await read())?.id === recorded.id,
    find: read,
    create: async () => {
      ctx.log.info({ definition: definition.name, securityType: definitionSecurityType[type] }, 'creating the image definition');
      const created = await arm(`creating image definition ${definition.name}`, () =>
        compute.galleryImages.createOrUpdate(
          config.resourceGroup,
          config.gallery,
          definition.name,
          {
            location: config.location,
            osType: 'Linux',
            osState: 'Generalized',
            hyperVGeneration: 'V2',
            architecture: 'x64',
            identifier: { publisher: definition.publisher, offer: definition.offer, sku: definition.sku },
            features: [{ name: 'SecurityType', value: definitionSecurityType[type] }],
          },
          lroOptions(run),
        ),
      );
      return { id: created.id! };
    },
  });
}

/** An existing definition made for another kind of VM cannot take our image; say so rather than fail later. */
function checkDefinition(existing: GalleryImage, type: AzureSecurityType): void {
  const securityType = existing.features?.find((feature) => feature.name === 'SecurityType')?.value;
  if (securityType !== definitionSecurityType[type] || existing.hyperVGeneration !== 'V2' || existing.osType !== 'Linux') {
    throw new ConflictError(
      `image definition ${existing.name} exists with security type ${securityType ?? 'none'}, ${existing.osType} ${existing.hyperVGeneration}; ` +
        `the ${type} image needs ${definitionSecurityType[type]}, Linux V2`,
      'name another image definition in azure.imageDefinitions, or delete this one',
    );
  }
}

/**
 * The gallery image version of one security type, made from a freshly uploaded disk. An existing version of the same
 * name is this uid's (the name is derived from it) and is reused; one that failed to provision is deleted and made
 * again; the temporary disk is deleted once the version exists.
 */
export async function ensureVersion(
  run: AzureRun,
  type: AzureSecurityType,
  versionName: string,
  gallery: GalleryRecord,
): Promise<VersionRecord> {
  const { ctx, config, compute } = run;
  const definition = config.imageDefinitions[type]!.name;
  const id = versionId(config, definition, versionName);
  const reference = gallery.publicName ? `/CommunityGalleries/${gallery.publicName}/Images/${definition}/Versions/${versionName}` : id;
  const log = ctx.log.child({ securityType: type, version: versionName });
  const get = () =>
    arm(`reading image version ${definition}/${versionName}`, () =>
      getIfExists(() => compute.galleryImageVersions.get(config.resourceGroup, config.gallery, definition, versionName, { expand: 'ReplicationStatus' })),
    );

  // A version is reused only when it was made from this run's image; one that failed is remade whatever its digest.
  const ours = (version: GalleryImageVersion) => {
    checkDigest(`the gallery image version ${definition}/${versionName}`, version.tags?.[DIGEST_METADATA], ctx.image.digest);
    return true;
  };
  const record = await resumable<VersionRecord>(ctx.journal, `version:${type}`, {
    digest: ctx.image.digest,
    confirm: async () => {
      const existing = await get();
      return existing?.provisioningState === 'Succeeded' && ours(existing);
    },
    find: async () => {
      let existing = await get();
      if (existing && inProgress(existing)) {
        ours(existing);
        log.info('an earlier run is still creating this version; waiting for it');
        existing = await waitForVersion(run, get, log);
      }
      if (existing?.provisioningState === 'Succeeded' && ours(existing)) return { id, reference };
      if (existing) {
        log.warn({ state: existing.provisioningState, replication: failedRegions(existing) }, 'deleting the image version that failed to provision');
        await deleteVersion(run, definition, versionName);
      }
      return undefined;
    },
    create: async () => {
      const disk = await uploadDisk(run, type, diskName(type, versionName));
      const regions = config.targetRegions ?? [{ name: config.location, replicas: 1 }];
      log.info({ regions }, 'creating the image version; replication can take an hour or more');
      const poller = compute.galleryImageVersions.createOrUpdate(
        config.resourceGroup,
        config.gallery,
        definition,
        versionName,
        {
          location: config.location,
          tags: { osimageUid: ctx.uid, [DIGEST_METADATA]: ctx.image.digest },
          publishingProfile: {
            targetRegions: regions.map((region) => ({ name: region.name, regionalReplicaCount: region.replicas })),
            // A pseudo version never becomes what `latest` resolves to.
            excludeFromLatest: !isRelease(ctx.version),
          },
          storageProfile: { osDiskImage: { source: { id: disk.id } } },
        },
        lroOptions(run, config.timeouts.replicationMinutes),
      );
      const progress = setInterval(() => void logReplication(get, log), REPLICATION_LOG_EVERY_MS).unref();
      try {
        await arm(`creating image version ${definition}/${versionName}`, () => poller, 'run the same command again: a failed version is deleted and made again from the uploaded disk');
      } catch (error) {
        const failed = await get().catch(() => undefined);
        if (failed) (error as Error).message += `; replication: ${JSON.stringify(failedRegions(failed))}`;
        throw error;
      } finally {
        clearInterval(progress);
      }
      return { id, reference };
    },
  });
  await deleteDisk(run, diskName(type, versionName));
  await ctx.journal.forget(`disk:${type}`);
  return record;
}

/**
 * --replace: deletes the image version of one security type and its temporary disk, whatever image they hold, and
 * forgets them, so that the next upload makes them afresh.
 */
export async function removeVersion(run: AzureRun, type: AzureSecurityType, versionName: string): Promise<void> {
  const { ctx, config, compute } = run;
  const definition = config.imageDefinitions[type]!.name;
  const existing = await arm(`reading image version ${definition}/${versionName}`, () =>
    getIfExists(() => compute.galleryImageVersions.get(config.resourceGroup, config.gallery, definition, versionName)),
  );
  if (existing) {
    ctx.log.info({ securityType: type, version: versionName }, 'deleting the image version an earlier run made (--replace)');
    await deleteVersion(run, definition, versionName);
  }
  await deleteDisk(run, diskName(type, versionName));
  await ctx.journal.forget(`version:${type}`);
  await ctx.journal.forget(`disk:${type}`);
}

async function deleteVersion(run: AzureRun, definition: string, versionName: string): Promise<void> {
  const { config, compute } = run;
  await arm(`deleting image version ${definition}/${versionName}`, () =>
    compute.galleryImageVersions.delete(config.resourceGroup, config.gallery, definition, versionName, lroOptions(run)),
  );
}

function inProgress(version: GalleryImageVersion): boolean {
  return version.provisioningState === 'Creating' || version.provisioningState === 'Updating';
}

async function waitForVersion(run: AzureRun, get: () => Promise<GalleryImageVersion | undefined>, log: Logger) {
  const { abortSignal, updateIntervalInMs } = lroOptions(run, run.config.timeouts.replicationMinutes);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, updateIntervalInMs));
    if (abortSignal.aborted) throw new OsimageError('waiting for the image version of an earlier run timed out', 'run the same command again to keep waiting');
    const version = await get();
    if (!version || !inProgress(version)) return version;
    await logReplication(async () => version, log);
  }
}

async function logReplication(get: () => Promise<GalleryImageVersion | undefined>, log: Logger): Promise<void> {
  const version = await get().catch(() => undefined);
  const regions = version?.replicationStatus?.summary?.map((region) => ({ region: region.region, state: region.state, progress: region.progress }));
  if (regions) log.info({ regions }, 'replicating the image version');
}

function failedRegions(version: GalleryImageVersion) {
  return (version.replicationStatus?.summary ?? [])
    .filter((region) => region.state === 'Failed')
    .map((region) => ({ region: region.region, details: region.details }));
}
