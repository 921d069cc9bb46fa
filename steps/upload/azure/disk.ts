import { resumable } from '../../../pipeline/journal.js';
import { createProgress } from '../../../pipeline/progress.js';
import type { AzureSecurityType } from '../../../config/azure.js';
import { arm, getIfExists, lroOptions, type AzureRun } from './arm.js';
import { uploadPages, type PageUploadProgress } from './page-upload.js';
import { openVhdSource } from './vhd-source.js';

export interface UploadedDisk {
  id: string;
  name: string;
  sizeBytes: number;
}


/** The temporary managed disk the image is uploaded into, one per security type, named after the gallery version. */
export function diskName(type: AzureSecurityType, galleryVersion: string): string {
  return `osimage-${type}-${galleryVersion}`;
}

/**
 * A managed disk holding the image as a fixed VHD: created empty for upload, opened with grantAccess, written page by
 * page, and closed with revokeAccess (also when the upload fails, so the disk never stays open). A disk left by a
 * run that failed before the journal recorded it holds unknown data, so it is deleted and made again.
 */
export async function uploadDisk(run: AzureRun, type: AzureSecurityType, name: string): Promise<UploadedDisk> {
  const { ctx, config, compute } = run;
  return resumable<UploadedDisk>(ctx.journal, `disk:${type}`, {
    confirm: async (recorded) => (await arm(`reading disk ${name}`, () => getIfExists(() => compute.disks.get(config.resourceGroup, recorded.name)))) !== undefined,
    create: async () => {
      await deleteDisk(run, name);
      const source = await openVhdSource(ctx.image.path, {}, ctx.signal);
      try {
        const log = ctx.log.child({ disk: name });
        log.info({ bytes: source.size }, 'creating a managed disk for upload');
        const disk = await arm(`creating disk ${name}`, () =>
          compute.disks.createOrUpdate(
            config.resourceGroup,
            name,
            {
              location: config.location,
              sku: { name: 'Standard_LRS' },
              osType: 'Linux',
              hyperVGeneration: 'V2',
              creationData: { createOption: 'Upload', uploadSizeBytes: source.size },
              securityProfile: type === 'cvm' ? { securityType: config.cvmSecurityType } : undefined,
              tags: { osimageUid: ctx.uid },
            },
            lroOptions(run),
          ),
        );
        const access = await arm(`opening disk ${name} for upload`, () =>
          compute.disks.grantAccess(config.resourceGroup, name, { access: 'Write', durationInSeconds: Math.ceil(config.timeouts.diskUploadMinutes * 60) }, lroOptions(run)),
        );
        // Progress counts skipped zero ranges too: they are work done, and make the ETA honest for sparse images.
        const progress = createProgress(log, `azure ${type} disk`, source.size);
        try {
          const sent = await uploadPages(source, access.accessSAS!, {
            concurrency: config.upload.concurrency,
            maxTries: config.upload.maxTries,
            signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeouts.diskUploadMinutes * 60_000)]),
            onProgress: ({ sentBytes, skippedBytes }: PageUploadProgress) => progress.update(sentBytes + skippedBytes),
          });
          log.info(sent, 'disk uploaded');
        } finally {
          progress.done();
          await arm(`closing disk ${name} after upload`, () => compute.disks.revokeAccess(config.resourceGroup, name, lroOptions(run)));
        }
        return { id: disk.id!, name, sizeBytes: source.size };
      } finally {
        await source.close();
      }
    },
  });
}

/** Deletes the disk if it exists; a missing disk is what we want. */
export async function deleteDisk(run: AzureRun, name: string): Promise<void> {
  const { config, compute } = run;
  const existing = await arm(`reading disk ${name}`, () => getIfExists(() => compute.disks.get(config.resourceGroup, name)));
  if (!existing) return;
  if (existing.diskState === 'ActiveUpload' || existing.diskState === 'ActiveSAS') {
    // A run killed mid-upload left the disk open; Azure deletes only a closed disk.
    await arm(`closing disk ${name}`, () => compute.disks.revokeAccess(config.resourceGroup, name, lroOptions(run)));
  }
  run.ctx.log.info({ disk: name }, 'deleting the temporary disk');
  await arm(`deleting disk ${name}`, () => compute.disks.delete(config.resourceGroup, name, lroOptions(run)));
}
