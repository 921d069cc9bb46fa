import { checkDigest, DIGEST_METADATA } from '../../../pipeline/digest-check.js';
import { createProgress } from '../../../pipeline/progress.js';
import { resumable } from '../../../pipeline/journal.js';
import type { AwsStep } from './aws-step.js';
import { importObjectKey } from './names.js';

export interface ImportObject {
  key: string;
  size: number;
}

/**
 * Streams the raw image to the import bucket (multipart, bounded memory, SHA-256 checksums unless turned off), where
 * ImportSnapshot reads it. A multipart upload appears only when complete, so an object of the right size that names
 * our uid and digest is a finished upload of this image; one of another digest is a conflict.
 */
export async function uploadImportObject(step: AwsStep): Promise<ImportObject> {
  const { ctx, clients } = step;
  const store = clients.importStore;
  const key = importObjectKey(step.config, ctx.uid, ctx.csp);
  const isOurs = async () => {
    const info = await store.head(key);
    if (info) checkDigest(`the import object s3://${step.config.import.bucket}/${key}`, info.metadata[DIGEST_METADATA], ctx.image.digest);
    return info?.size === ctx.image.size && info.metadata.uid === ctx.uid;
  };
  return resumable<ImportObject>(ctx.journal, 'import-object', {
    digest: ctx.image.digest,
    confirm: async (recorded) => recorded.key === key && (await isOurs()),
    find: async () => ((await isOurs()) ? { key, size: ctx.image.size } : undefined),
    create: async () => {
      const log = ctx.log.child({ bucket: step.config.import.bucket, key });
      log.info({ bytes: ctx.image.size }, 'uploading the raw image to the import bucket');
      const progress = createProgress(log, 'aws raw image', ctx.image.size);
      try {
        await store.upload(key, ctx.image.path, {
          contentType: 'application/octet-stream',
          metadata: { uid: ctx.uid, commit: ctx.commit, [DIGEST_METADATA]: ctx.image.digest },
          signal: ctx.signal,
          onProgress: progress.update,
        });
      } finally {
        progress.done();
      }
      log.info('uploaded the raw image');
      return { key, size: ctx.image.size };
    },
  });
}
