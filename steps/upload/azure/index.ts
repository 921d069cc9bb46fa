import type { AzureSecurityType } from '../../../config/azure.js';
import { mapBounded } from '../../../pipeline/bounded.js';
import type { Plan, Uploader } from '../uploader.js';
import { arm, getIfExists, openAzureRun, versionId } from './arm.js';
import { diskName } from './disk.js';
import { definitionSecurityType, ensureDefinition, ensureGallery, ensureVersion, removeVersion } from './gallery.js';
import { galleryVersionName } from './version-name.js';

/** The Azure entry of the lookup table: one image version id per security type. */
export type AzureReference = { cvm?: string; trustedlaunch?: string };

/**
 * Azure: the raw image becomes a fixed VHD on the fly, is uploaded into a temporary managed disk, and becomes one
 * Compute Gallery image version per security type (Confidential VM, Trusted Launch), replicated to the target regions.
 */
export const azureUploader: Uploader<AzureReference> = {
  csp: 'azure',

  async plan(ctx) {
    const run = await openAzureRun(ctx);
    const { config, compute } = run;
    const name = galleryVersionName(ctx.uid, ctx.version);
    const checks: string[] = [];
    const writes: string[] = [];
    const reference: AzureReference = {};

    // Listing the galleries of the resource group checks the credential, the subscription and the group at once.
    await arm(`reading resource group ${config.resourceGroup}`, async () => {
      for await (const _ of compute.galleries.listByResourceGroup(config.resourceGroup)) break;
    });
    checks.push(`resource group ${config.resourceGroup} in subscription ${config.subscriptionId} is readable`);
    const gallery = await arm(`reading gallery ${config.gallery}`, () => getIfExists(() => compute.galleries.get(config.resourceGroup, config.gallery)));
    const info = gallery?.sharingProfile?.communityGalleryInfo;
    const publicName = info?.communityGalleryEnabled ? info.publicNames?.[0] : undefined;
    checks.push(`gallery ${config.gallery}: ${gallery ? 'exists' : 'missing'}${publicName ? `, shared as ${publicName}` : ''}`);
    if (!gallery) writes.push(`create gallery ${config.gallery} in ${config.location}`);
    if (config.community && !publicName) writes.push(`share gallery ${config.gallery} as a community gallery (prefix ${config.community.publicNamePrefix})`);

    for (const type of config.securityTypes) {
      const definition = config.imageDefinitions[type]!;
      const existing = gallery && (await arm(`reading image definition ${definition.name}`, () => getIfExists(() => compute.galleryImages.get(config.resourceGroup, config.gallery, definition.name))));
      const security = existing?.features?.find((feature) => feature.name === 'SecurityType')?.value;
      checks.push(`image definition ${definition.name}: ${existing ? `exists (${security ?? 'no security type'})` : 'missing'}`);
      if (existing && security !== definitionSecurityType[type]) checks.push(`  ✗ it needs security type ${definitionSecurityType[type]}: a real run fails here`);
      if (!existing) writes.push(`create image definition ${definition.name} (${definitionSecurityType[type]}, Linux, Generalized, x64, V2)`);
      const version = existing && (await arm(`reading image version ${name}`, () => getIfExists(() => compute.galleryImageVersions.get(config.resourceGroup, config.gallery, definition.name, name))));
      if (version?.provisioningState === 'Succeeded') {
        checks.push(`image version ${definition.name}/${name} exists and is reused`);
      } else {
        if (version) writes.push(`delete image version ${definition.name}/${name} (${version.provisioningState})`);
        writes.push(
          `upload ${ctx.image.size} bytes into disk ${diskName(type, name)} (zero ranges skipped)`,
          `create image version ${definition.name}/${name} in ${(config.targetRegions ?? [{ name: config.location, replicas: 1 }]).map((r) => `${r.name}×${r.replicas}`).join(', ')}`,
          `delete disk ${diskName(type, name)}`,
        );
      }
      reference[type] = config.community
        ? `/CommunityGalleries/${publicName ?? '<planned>'}/Images/${definition.name}/Versions/${name}`
        : versionId(config, definition.name, name);
    }
    return { checks, writes, reference } satisfies Plan<AzureReference>;
  },

  async upload(ctx) {
    const run = await openAzureRun(ctx);
    const name = galleryVersionName(ctx.uid, ctx.version);
    const gallery = await ensureGallery(run);
    const types: readonly AzureSecurityType[] = run.config.securityTypes;
    // Both images upload and replicate at once: replication dominates and runs on Azure's side.
    const versions = await mapBounded(types, types.length, async (type) => {
      await ensureDefinition(run, type);
      return [type, (await ensureVersion(run, type, name, gallery)).reference] as const;
    });
    return Object.fromEntries(versions) as AzureReference;
  },

  async remove(ctx) {
    const run = await openAzureRun(ctx);
    const name = galleryVersionName(ctx.uid, ctx.version);
    await mapBounded(run.config.securityTypes, run.config.securityTypes.length, (type) => removeVersion(run, type, name));
  },
};
