import { checkDigest, DIGEST_METADATA } from '../../pipeline/digest-check.js';
import { resumable } from '../../pipeline/journal.js';
import { createProgress } from '../../pipeline/progress.js';
import { publicUrl } from '../../pipeline/public-url.js';
import type { Uploader, UploadContext } from './uploader.js';

/** QEMU has no cloud: the raw image itself is published under raw/<uid>/ and served by URL. */
export const qemuUploader: Uploader<string> = {
  csp: 'qemu',

  async plan(ctx) {
    const key = rawKey(ctx);
    return {
      checks: [],
      writes: [`put ${ctx.store.location}/${key} (${ctx.image.size} bytes)`],
      reference: publicUrl(ctx.config, key),
    };
  },

  async upload(ctx) {
    const key = rawKey(ctx);
    // An object already there is reused only when its metadata names this run's image digest.
    const existing = async () => {
      const info = await ctx.store.head(key);
      if (info) checkDigest(`the raw image ${ctx.store.location}/${key}`, info.metadata[DIGEST_METADATA], ctx.image.digest);
      return info && { key, size: info.size };
    };
    await resumable(ctx.journal, 'raw-image', {
      digest: ctx.image.digest,
      confirm: async () => (await existing()) !== undefined,
      find: existing,
      create: async () => {
        ctx.log.info({ key, bytes: ctx.image.size }, 'publishing the raw image');
        const progress = createProgress(ctx.log, 'qemu raw image', ctx.image.size);
        try {
          await ctx.store.upload(key, ctx.image.path, {
            contentType: 'application/octet-stream',
            metadata: { uid: ctx.uid, commit: ctx.commit, [DIGEST_METADATA]: ctx.image.digest },
            onProgress: progress.update,
            signal: ctx.signal,
          });
        } finally {
          progress.done();
        }
        return { key, size: ctx.image.size };
      },
    });
    return publicUrl(ctx.config, key);
  },

  async remove(ctx) {
    const key = rawKey(ctx);
    ctx.log.info({ key }, 'deleting the raw image an earlier run published (--replace)');
    await ctx.store.delete(key);
    await ctx.journal.forget('raw-image');
  },
};

function rawKey(ctx: UploadContext): string {
  return `raw/${ctx.uid}/qemu.raw`;
}
