import type { GcpConfig } from '../../config/gcp.js';
import { ConflictError } from '../../pipeline/errors.js';
import { blobExists, blobObjectName, deleteBlob } from '../upload/gcp/blob.js';
import { createClients, type GcpClients } from '../upload/gcp/clients.js';
import { deleteImage, getImage, isNotFound, type GceImage } from '../upload/gcp/image.js';
import { imageName } from '../upload/gcp/image-name.js';
import { labelValue } from '../upload/gcp/labels.js';
import type { CloudLifecycle, LifecycleTarget, OwnedResource } from './resource.js';

const IMAGE_REFERENCE = /^projects\/([^/]+)\/global\/images\/([^/]+)$/;
const DELETE_TIMEOUT_MS = 10 * 60_000;

/**
 * GCP: the uid's image (the one the table names, and the one of the uid's name) and the tar.gz a failed run left in
 * the bucket. An image whose `osimage-uid` label names another uid is never touched.
 */
export function gcpLifecycle(config: GcpConfig, signal: AbortSignal): CloudLifecycle {
  let opened: Promise<GcpClients> | undefined;
  const clients = () => (opened ??= createClients(config));
  return {
    csp: 'gcp',
    async inventory(target) {
      const resources: OwnedResource[] = [];
      for (const { project, name } of imagesOf(config, target)) {
        const image = await getImage(await clients(), project, name);
        if (!image) continue;
        checkOwner(image, project, target.uid);
        resources.push({ csp: 'gcp', location: project, kind: 'image', id: name, sizeBytes: imageSize(image) });
      }
      const object = blobObjectName(target.uid);
      if (await blobExists((await clients()).storage, config.bucket, object)) {
        const [metadata] = await (await clients()).storage.bucket(config.bucket).file(object).getMetadata();
        resources.push({ csp: 'gcp', location: `gs://${config.bucket}`, kind: 'object', id: object, sizeBytes: Number(metadata.size) });
      }
      return resources;
    },
    async delete(resource) {
      const gcp = await clients();
      if (resource.kind === 'object') return deleteBlob(gcp.storage, resource.location.slice('gs://'.length), resource.id);
      try {
        await deleteImage(gcp, resource.location, resource.id, { timeoutMs: DELETE_TIMEOUT_MS, signal });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}

/** The image the table names and the one the uid's name gives, once each. */
function imagesOf(config: GcpConfig, target: LifecycleTarget): Array<{ project: string; name: string }> {
  const found = new Map<string, { project: string; name: string }>();
  const add = (project: string, name: string) => found.set(`${project}/${name}`, { project, name });
  for (const reference of Object.values((target.reference ?? {}) as Record<string, string>)) {
    const match = IMAGE_REFERENCE.exec(reference);
    if (match) add(match[1]!, match[2]!);
  }
  const journalled = target.journal.image as { project?: string; name?: string } | undefined;
  if (journalled?.project && journalled.name) add(journalled.project, journalled.name);
  add(config.project, imageName(config.namePrefix, target.uid));
  return [...found.values()];
}

function checkOwner(image: GceImage, project: string, uid: string): void {
  if (image.labels?.['osimage-uid'] === labelValue(uid)) return;
  throw new ConflictError(
    `the image projects/${project}/global/images/${image.name} does not carry the label osimage-uid of ${uid}; it is not deleted`,
    'look at the image: something other than osimage made it, or its labels were changed',
  );
}

function imageSize(image: GceImage): number | undefined {
  if (image.archiveSizeBytes !== undefined && image.archiveSizeBytes !== null) return Number(image.archiveSizeBytes);
  return image.diskSizeGb ? Number(image.diskSizeGb) * 2 ** 30 : undefined;
}
