import { resumable } from '../../pipeline/journal.js';
import { createProgress } from '../../pipeline/progress.js';
import { publicUrl } from '../../pipeline/public-url.js';
import { rawImageKey } from '../publish/keys.js';
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
    await resumable(ctx.journal, 'raw-image', {
      // The same uid always means the same image, so an object of the right size is the one we uploaded.
      confirm: async (recorded: { size: number }) => (await ctx.store.head(key))?.size === recorded.size,
      create: async () => {
        ctx.log.info({ key, bytes: ctx.image.size }, 'publishing the raw image');
        const progress = createProgress(ctx.log, 'qemu raw image', ctx.image.size);
        try {
          await ctx.store.upload(key, ctx.image.path, {
            contentType: 'application/octet-stream',
            metadata: { uid: ctx.uid, commit: ctx.commit },
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
};

function rawKey(ctx: UploadContext): string {
  return rawImageKey(ctx.uid);
}
