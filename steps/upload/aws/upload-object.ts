import { createProgress } from '../../../pipeline/progress.js';
import { resumable } from '../../../pipeline/journal.js';
import { dataBytes, findData } from '../data-map.js';
import type { AwsStep } from './aws-step.js';
import { importObjectKey } from './names.js';
import { streamOptimizedVmdk, vmdkMaxSize } from './stream-optimized-vmdk.js';

export interface ImportObject {
  key: string;
  size: number;
}

/**
 * Uploads the image to the import bucket (multipart, bounded memory, SHA-256 checksums unless turned off), where
 * ImportSnapshot reads it: by default as a stream-optimized VMDK made on the fly, which carries only the data; or
 * raw, every byte (aws.import.format). A multipart upload appears only when complete, so an object under our key (it
 * names the uid and the format) that carries our uid, and for raw has the image's size, is a finished upload.
 */
export async function uploadImportObject(step: AwsStep): Promise<ImportObject> {
  const { ctx, config } = step;
  const store = step.clients.importStore;
  const key = importObjectKey(config, ctx.uid, ctx.csp);
  const format = config.import.format;
  const finished = async () => {
    const info = await store.head(key);
    const ours = info?.metadata.uid === ctx.uid && (format !== 'raw' || info.size === ctx.image.size);
    return ours ? { key, size: info.size } : undefined;
  };
  return resumable<ImportObject>(ctx.journal, 'import-object', {
    confirm: async (recorded) => recorded.key === key && (await finished())?.size === recorded.size,
    find: finished,
    create: async () => {
      const log = ctx.log.child({ bucket: config.import.bucket, key });
      const options = { contentType: 'application/octet-stream', metadata: { uid: ctx.uid, commit: ctx.commit }, signal: ctx.signal };
      if (format === 'raw') {
        log.info({ bytes: ctx.image.size }, 'uploading the raw image to the import bucket');
        const progress = createProgress(log, 'aws raw image', ctx.image.size);
        try {
          await store.upload(key, ctx.image.path, { ...options, onProgress: progress.update });
        } finally {
          progress.done();
        }
        log.info('uploaded the raw image');
        return { key, size: ctx.image.size };
      }
      const map = await findData(ctx.image.path, ctx.signal);
      log.info({ bytes: map.size, dataBytes: dataBytes(map), holesFrom: map.source }, 'uploading the image as a stream-optimized VMDK');
      const progress = createProgress(log, 'aws vmdk', map.size);
      try {
        const vmdk = streamOptimizedVmdk(ctx.image.path, map, {
          contentId: ctx.image.digest.slice(0, 8),
          signal: ctx.signal,
          onProgress: progress.update,
        });
        const { size } = await store.uploadStream(key, vmdk, vmdkMaxSize(map.size), options);
        log.info({ bytes: size }, 'uploaded the VMDK');
        return { key, size };
      } finally {
        progress.done();
      }
    },
  });
}
