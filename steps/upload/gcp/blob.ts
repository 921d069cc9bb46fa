import type { Storage } from '@google-cloud/storage';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { RawImage } from '../../../pipeline/context.js';
import type { Logger } from '../../../pipeline/logger.js';
import { createProgress } from '../../../pipeline/progress.js';
import { dataBytes, findData } from '../data-map.js';
import { sparseTarGzStream } from './sparse-tar.js';

/** The tar.gz GCE imports the image from, in the configured bucket. It is deleted once the image exists. */
export interface BlobRecord {
  bucket: string;
  object: string;
  generation: string;
  size: number;
}

/** GCS resumable uploads send chunks of this size; a failed chunk is retried on its own. */
const CHUNK_SIZE = 16 * 1024 * 1024;

export function blobObjectName(uid: string): string {
  return `osimage/${uid}/disk.tar.gz`;
}

/** The URL form images.insert takes as rawDisk.source. */
export function blobSourceUrl(blob: Pick<BlobRecord, 'bucket' | 'object'>): string {
  return `https://storage.googleapis.com/${blob.bucket}/${blob.object.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * What identifies the source of a blob: a blob left by an earlier run of the same uid is reused only when it was
 * packed from the same image file; any other blob under that name is stale and gets replaced.
 */
export async function blobIdentity(uid: string, image: RawImage): Promise<Record<string, string>> {
  const stats = await stat(image.path);
  return { 'osimage-uid': uid, 'osimage-source-size': String(stats.size), 'osimage-source-mtime': String(Math.trunc(stats.mtimeMs)) };
}

/** The blob as it is now, if it exists and carries this identity. */
export async function findBlob(storage: Storage, bucket: string, object: string, identity: Record<string, string>): Promise<BlobRecord | undefined> {
  const file = storage.bucket(bucket).file(object);
  const [exists] = await file.exists();
  if (!exists) return undefined;
  const [metadata] = await file.getMetadata();
  const matches = Object.entries(identity).every(([key, value]) => metadata.metadata?.[key] === value);
  return matches ? { bucket, object, generation: String(metadata.generation), size: Number(metadata.size) } : undefined;
}

/** Whether the journalled blob is still there, the same generation. */
export async function blobIsPresent(storage: Storage, blob: BlobRecord): Promise<boolean> {
  const file = storage.bucket(blob.bucket).file(blob.object);
  const [exists] = await file.exists();
  return exists && String((await file.getMetadata())[0].generation) === blob.generation;
}

export interface UploadBlobOptions {
  bucket: string;
  object: string;
  image: RawImage;
  /** The size the disk extracts to (GCE wants whole GiB): a trailing hole in the archive. */
  diskSize: number;
  identity: Record<string, string>;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Packs the image and streams the tar.gz into the bucket with a resumable upload; the SDK checks the CRC32C it
 * computed against the one GCS reports and fails (deleting the object) on a mismatch. Replaces whatever the name held.
 */
export async function uploadBlob(storage: Storage, options: UploadBlobOptions): Promise<BlobRecord> {
  const { bucket, object, image, log, signal } = options;
  const started = Date.now();
  const map = await findData(image.path, signal);
  const data = dataBytes(map);
  log.info({ image: image.path, bytes: map.size, dataBytes: data, regions: map.regions.length, holesFrom: map.source }, 'packing the image as a sparse disk.raw');
  const file = storage.bucket(bucket).file(object);
  const metadata = { contentType: 'application/gzip', metadata: options.identity };
  // The session is started here rather than by createWriteStream: storage 7 drops useAuthWithCustomEndpoint on that
  // path, so a custom endpoint would get an unauthenticated POST. The session URI itself needs no token.
  const [uri] = await file.createResumableUpload({ metadata });
  const progress = createProgress(log, 'gcp image archive', data);
  try {
    await pipeline(
      sparseTarGzStream(image.path, map, { entryName: 'disk.raw', paddedSize: options.diskSize, signal, onProgress: progress.update }),
      file.createWriteStream({ uri, resumable: true, chunkSize: CHUNK_SIZE, validation: 'crc32c', metadata }),
      { signal },
    );
  } finally {
    progress.done();
  }
  const [stored] = await file.getMetadata();
  const record: BlobRecord = { bucket, object, generation: String(stored.generation), size: Number(stored.size) };
  log.info({ bucket, object, bytes: record.size, seconds: Math.round((Date.now() - started) / 1000) }, 'uploaded the image archive');
  return record;
}

/** Deletes the blob; one that is already gone is fine. */
export async function deleteBlob(storage: Storage, bucket: string, object: string): Promise<void> {
  await storage.bucket(bucket).file(object).delete({ ignoreNotFound: true });
}

export async function blobExists(storage: Storage, bucket: string, object: string): Promise<boolean> {
  return (await storage.bucket(bucket).file(object).exists())[0];
}
