import type { GcpConfig } from '../../../config/gcp.js';
import { InputError } from '../../../pipeline/errors.js';
import { resumable } from '../../../pipeline/journal.js';
import { Retrier } from '../../../pipeline/retry.js';
import type { Plan, Uploader, UploadContext } from '../uploader.js';
import { blobExists, blobIdentity, blobIsPresent, blobObjectName, blobSourceUrl, deleteBlob, findBlob, uploadBlob, type BlobRecord } from './blob.js';
import { createClients, NO_GAX_RETRY, type GcpClients } from './clients.js';
import { imageName } from './image-name.js';
import { adoptImage, checkOwnership, guestOsFeatures, imageReference, imageResource, insertImage, type ImageRecord } from './image.js';
import { isPublic, makePublic, IMAGE_USER_ROLE, PUBLIC_MEMBER, type PublicRecord } from './iam.js';
import { imageLabels } from './labels.js';

const GiB = 2 ** 30;

/**
 * GCP: the raw image, packed as disk.raw in a sparse tar.gz, goes to a bucket; images.insert imports it as one image
 * with the SEV guest features of every configured security type; the image is made public when configured, and the
 * blob is deleted. Each cloud write is a journalled, resumable unit, so a rerun adopts what exists. The lookup-table
 * entry maps each security type to `projects/<project>/global/images/<name>`.
 */
export const gcpUploader: Uploader<Record<string, string>> = {
  csp: 'gcp',

  async plan(ctx) {
    const config = gcpSection(ctx);
    return withClients(ctx, config, async (clients) => {
      const target = targetOf(ctx, config);
      const checks: string[] = [];
      const writes: string[] = [];
      const [bucketExists] = await clients.storage.bucket(config.bucket).exists();
      if (!bucketExists) throw new InputError(`the GCS bucket ${config.bucket} (gcp.bucket) does not exist or is not visible to these credentials`);
      checks.push(`bucket gs://${config.bucket} exists`);
      // A list call proves the project is reachable (a missing project is a 404 of its own) and finds the name.
      const [[existing]] = await clients.compute('images.list', () =>
        clients.images.list({ project: config.project, filter: `name = "${target.name}"`, maxResults: 1 }, { ...NO_GAX_RETRY, autoPaginate: false }),
      );
      checks.push(`project ${config.project} is reachable`);
      if (existing) checkOwnership(existing, config.project, target.labels);
      const reusable = existing && existing.status !== 'FAILED';
      if (reusable) {
        checks.push(`image ${target.name} exists from this uid (${existing.status}): it will be reused`);
      } else {
        if (existing) writes.push(`images.delete ${imageReference(target.record)} (an earlier import of it failed)`);
        else checks.push(`image name ${target.name} is free`);
        const blob = await findBlob(clients.storage, config.bucket, target.object, await blobIdentity(ctx.uid, ctx.image));
        if (blob) checks.push(`will reuse gs://${config.bucket}/${target.object}, packed from this image by an earlier run`);
        else writes.push(`upload gs://${config.bucket}/${target.object} (sparse tar.gz of ${ctx.image.path}, ${ctx.image.size} bytes as a ${target.diskSize / GiB} GiB disk)`);
        writes.push(`images.insert ${imageReference(target.record)} (family ${config.family ?? 'none'}; ${guestOsFeatures(config.securityTypes).join(', ')})`);
      }
      if (config.public && !(reusable && (await isPublic(clients, config.project, target.name)))) {
        writes.push(`images.setIamPolicy ${target.name}: ${IMAGE_USER_ROLE} for ${PUBLIC_MEMBER}`);
      }
      if (!reusable || (await blobExists(clients.storage, config.bucket, target.object))) writes.push(`delete gs://${config.bucket}/${target.object}`);
      const plan: Plan<Record<string, string>> = { checks, writes, reference: referencesOf(config, target.record) };
      return plan;
    });
  },

  async upload(ctx) {
    const config = gcpSection(ctx);
    return withClients(ctx, config, async (clients) => {
      const target = targetOf(ctx, config);
      const { project } = config;
      const importTimeoutMs = config.timeouts.importMinutes * 60_000;
      const waiting = { project, name: target.name, labels: target.labels, timeoutMs: importTimeoutMs, log: ctx.log, signal: ctx.signal };

      await resumable<ImageRecord>(ctx.journal, 'image', {
        confirm: async () => (await adoptImage(clients, waiting)) !== undefined,
        find: () => adoptImage(clients, waiting),
        create: async () => {
          const blob = await uploadOnce(ctx, config, clients, target);
          const resource = await imageResource(config, target.name, blobSourceUrl(blob), target.labels);
          ctx.log.info({ image: target.name, project, features: resource.guestOsFeatures?.map((feature) => feature.type) }, 'importing the GCE image');
          await insertImage(clients, project, resource, { timeoutMs: importTimeoutMs, signal: ctx.signal });
          ctx.log.info({ image: imageReference(target.record) }, 'the GCE image is ready');
          return target.record;
        },
      });

      if (config.public) {
        const publicNow = () => isPublic(clients, project, target.name);
        await resumable<PublicRecord>(ctx.journal, 'public', {
          confirm: publicNow,
          find: async () => ((await publicNow()) ? { image: target.name, role: IMAGE_USER_ROLE, member: PUBLIC_MEMBER } : undefined),
          create: () => makePublic(clients, project, target.name),
        });
      }

      // The blob served its purpose; a rerun checks it is really gone.
      await resumable<{ bucket: string; object: string }>(ctx.journal, 'blob-deleted', {
        confirm: async () => !(await blobExists(clients.storage, config.bucket, target.object)),
        create: async () => {
          await deleteBlob(clients.storage, config.bucket, target.object);
          return { bucket: config.bucket, object: target.object };
        },
      });
      return referencesOf(config, target.record);
    });
  },
};

interface Target {
  name: string;
  object: string;
  labels: Record<string, string>;
  record: ImageRecord;
  diskSize: number;
}

function targetOf(ctx: UploadContext, config: GcpConfig): Target {
  const name = imageName(config.namePrefix, ctx.uid);
  return {
    name,
    object: blobObjectName(ctx.uid),
    labels: imageLabels(ctx),
    record: { project: config.project, name },
    // GCE imports whole GiB only; the difference is a hole at the end of disk.raw, which costs nothing.
    diskSize: Math.max(1, Math.ceil(ctx.image.size / GiB)) * GiB,
  };
}

/** The blob the image is imported from: the journalled one if still there, one of this image left by a failed run, or a new upload. */
async function uploadOnce(ctx: UploadContext, config: GcpConfig, clients: GcpClients, target: Target): Promise<BlobRecord> {
  const identity = await blobIdentity(ctx.uid, ctx.image);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeouts.uploadMinutes * 60_000)]);
  return resumable<BlobRecord>(ctx.journal, 'blob', {
    confirm: (recorded) => blobIsPresent(clients.storage, recorded),
    find: () => findBlob(clients.storage, config.bucket, target.object, identity),
    create: () =>
      uploadBlob(clients.storage, { bucket: config.bucket, object: target.object, image: ctx.image, diskSize: target.diskSize, identity, log: ctx.log, signal }),
  });
}

function referencesOf(config: GcpConfig, record: ImageRecord): Record<string, string> {
  return Object.fromEntries(config.securityTypes.map((type) => [type, imageReference(record)]));
}

function gcpSection(ctx: UploadContext): GcpConfig {
  if (!ctx.config.gcp) throw new InputError('the config has no gcp: section', 'add gcp: { project, bucket } (see config/release.example.yaml)');
  return ctx.config.gcp;
}

async function withClients<T>(ctx: UploadContext, config: GcpConfig, work: (clients: GcpClients) => Promise<T>): Promise<T> {
  const clients = await createClients(config, new Retrier('gcp', config.retry, ctx.log, ctx.retries));
  try {
    return await work(clients);
  } finally {
    await clients.close();
  }
}
