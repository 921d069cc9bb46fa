import { ComputeManagementClient } from '@azure/arm-compute';
import type { AzureConfig } from '../../config/azure.js';
import type { Version } from '../../discovery/version.js';
import { OsimageError } from '../../pipeline/errors.js';
import { arm, getIfExists, lroOptions, type AzureSession } from '../upload/azure/arm.js';
import { azureCredential } from '../upload/azure/credential.js';
import { galleryVersionName } from '../upload/azure/version-name.js';
import type { LifecycleContext } from './context.js';

/**
 * Adds target regions to the uid's gallery image version of each security type (one replica each), and waits until
 * they are replicated. The version keeps its id, tags and everything else, so the lookup table does not change. The
 * gallery is the record: a version already replicated to a region is left alone, so a rerun resumes.
 */
export async function replicateAzure(ctx: LifecycleContext, config: AzureConfig, uid: string, version: Version, regions: string[]): Promise<string[]> {
  const compute = new ComputeManagementClient(await azureCredential(config), config.subscriptionId, { endpoint: config.endpoints.arm });
  const session: AzureSession = { config, compute, ctx: { log: ctx.log.child({ csp: 'azure' }), signal: ctx.signal } };
  const name = galleryVersionName(uid, version);
  const added: string[] = [];
  for (const type of config.securityTypes) {
    const definition = config.imageDefinitions[type]!.name;
    const existing = await arm(`reading image version ${definition}/${name}`, () =>
      getIfExists(() => compute.galleryImageVersions.get(config.resourceGroup, config.gallery, definition, name)),
    );
    if (existing?.provisioningState !== 'Succeeded') {
      throw new OsimageError(`the image version ${definition}/${name} of ${uid} is ${existing?.provisioningState ?? 'missing'}; only a finished version can be replicated`);
    }
    const current = existing.publishingProfile?.targetRegions ?? [];
    const missing = regions.filter((region) => !current.some((target) => normalize(target.name) === normalize(region)));
    if (missing.length === 0) continue;
    session.ctx.log.info({ definition, version: name, regions: missing }, 'replicating the image version to new regions');
    await arm(`replicating image version ${definition}/${name} to ${missing.join(', ')}`, () =>
      compute.galleryImageVersions.update(
        config.resourceGroup,
        config.gallery,
        definition,
        name,
        { publishingProfile: { targetRegions: [...current, ...missing.map((region) => ({ name: region, regionalReplicaCount: 1 }))] } },
        lroOptions(session, config.timeouts.replicationMinutes),
      ),
    );
    added.push(...missing.map((region) => `${definition}/${name} ${region}`));
  }
  return added;
}

/** Azure answers region names as display names ("West Europe") or as names ("westeurope"). */
function normalize(region: string): string {
  return region.toLowerCase().replace(/\s+/g, '');
}
