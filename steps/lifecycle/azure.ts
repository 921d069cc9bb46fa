import { ComputeManagementClient } from '@azure/arm-compute';
import type { AzureConfig } from '../../config/azure.js';
import type { Version } from '../../discovery/version.js';
import type { Logger } from '../../pipeline/logger.js';
import { arm, getIfExists, lroOptions, versionId, type AzureSession } from '../upload/azure/arm.js';
import { azureCredential } from '../upload/azure/credential.js';
import { deleteDisk, diskName } from '../upload/azure/disk.js';
import { galleryVersionName } from '../upload/azure/version-name.js';
import type { CloudLifecycle, OwnedResource } from './resource.js';

export interface AzureLifecycleOptions {
  /** Delete an image definition the deletion leaves without versions (`--delete-empty-definitions`). */
  deleteEmptyDefinitions?: boolean;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Azure: the uid's gallery image version of each configured security type (with every regional replica), the
 * temporary disks a failed run left, and, only when asked, the image definitions left empty. The version name
 * derives from the uid alone, so it is found even when neither the table nor the journal names it.
 */
export async function azureLifecycle(config: AzureConfig, version: Version, options: AzureLifecycleOptions): Promise<CloudLifecycle> {
  const compute = new ComputeManagementClient(await azureCredential(config), config.subscriptionId, { endpoint: config.endpoints.arm });
  const session: AzureSession = { config, compute, ctx: { log: options.log, signal: options.signal } };
  const { resourceGroup, gallery } = config;
  return {
    csp: 'azure',
    async inventory(target) {
      const name = galleryVersionName(target.uid, version);
      const versions: OwnedResource[] = [];
      const disks: OwnedResource[] = [];
      const definitions: OwnedResource[] = [];
      for (const type of config.securityTypes) {
        const definition = config.imageDefinitions[type]!.name;
        const existing = await arm(`reading image version ${definition}/${name}`, () =>
          getIfExists(() => compute.galleryImageVersions.get(resourceGroup, gallery, definition, name, { expand: 'ReplicationStatus' })),
        );
        if (existing) {
          const regions = (existing.publishingProfile?.targetRegions ?? []).map((region) => region.name).join(',');
          versions.push({ csp: 'azure', location: regions || config.location, kind: 'image-version', id: versionId(config, definition, name) });
          if (options.deleteEmptyDefinitions) definitions.push({ csp: 'azure', location: config.location, kind: 'image-definition', id: definition });
        }
        const disk = diskName(type, name);
        if (await arm(`reading disk ${disk}`, () => getIfExists(() => compute.disks.get(resourceGroup, disk)))) {
          disks.push({ csp: 'azure', location: config.location, kind: 'disk', id: disk });
        }
      }
      return [...versions, ...definitions, ...disks];
    },
    async delete(resource) {
      if (resource.kind === 'disk') return deleteDisk(session, resource.id);
      if (resource.kind === 'image-definition') return deleteIfEmpty(session, resource.id);
      const [, definition, name] = /\/images\/([^/]+)\/versions\/([^/]+)$/.exec(resource.id)!;
      await arm(`deleting image version ${definition}/${name}`, () =>
        ignoreMissing(() => compute.galleryImageVersions.delete(resourceGroup, gallery, definition!, name!, lroOptions(session))),
      );
    },
    async close() {},
  };
}

/** An image definition goes only when no version is left in it: another uid's version keeps it. */
async function deleteIfEmpty(session: AzureSession, definition: string): Promise<void> {
  const { config, compute } = session;
  const hasVersions = await arm(`listing the versions of image definition ${definition}`, () =>
    getIfExists(async () => {
      for await (const _ of compute.galleryImageVersions.listByGalleryImage(config.resourceGroup, config.gallery, definition)) return true;
      return false;
    }),
  );
  if (hasVersions === undefined) return;
  if (hasVersions) {
    session.ctx.log.info({ definition }, 'the image definition still has versions: it stays');
    return;
  }
  await arm(`deleting image definition ${definition}`, () =>
    ignoreMissing(() => compute.galleryImages.delete(config.resourceGroup, config.gallery, definition, lroOptions(session))),
  );
}

async function ignoreMissing(call: () => PromiseLike<unknown>): Promise<void> {
  await getIfExists(async () => await call());
}
