import { isRelease } from '../../discovery/version.js';
import { ConflictError, PreconditionFailedError } from '../../pipeline/errors.js';
import { resumable } from '../../pipeline/journal.js';
import { createProgress } from '../../pipeline/progress.js';
import { publicUrl } from '../../pipeline/public-url.js';
import { DIGEST_METADATA } from '../../pipeline/run-identity.js';
import type { ObjectInfo } from '../../pipeline/store/object-store.js';
import type { Uploader, UploadContext } from './uploader.js';

/**
 * QEMU has no cloud: the raw image itself is published under raw/<uid>/ and served by URL. It is created, never
 * overwritten: an object already there is adopted only when it holds this image (its digest), so a racing run of
 * another image changes nothing. A release keeps the layout consumers know, raw/<uid>/qemu.raw; a pseudo version,
 * which may be republished with another image, puts each image under its digest, so that a published table never
 * comes to name bytes it was not published with.
 */
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
    const isThisImage = (object: ObjectInfo | undefined) => object?.metadata[DIGEST_METADATA] === ctx.image.digest;
    await resumable(ctx.journal, 'raw-image', {
      confirm: async () => isThisImage(await ctx.store.head(key)),
      // A run killed after the upload, before its journal record: the object is there and is this image.
      find: async () => (isThisImage(await ctx.store.head(key)) ? { key, size: ctx.image.size, digest: ctx.image.digest } : undefined),
      create: async () => {
        ctx.log.info({ key, bytes: ctx.image.size }, 'publishing the raw image');
        const progress = createProgress(ctx.log, 'qemu raw image', ctx.image.size);
        try {
          await ctx.store.upload(key, ctx.image.path, {
            contentType: 'application/octet-stream',
            metadata: { uid: ctx.uid, commit: ctx.commit, [DIGEST_METADATA]: ctx.image.digest },
            ifNoneMatch: '*',
            onProgress: progress.update,
            signal: ctx.signal,
          });
        } catch (error) {
          if (!(error instanceof PreconditionFailedError)) throw error;
          if (!isThisImage(await ctx.store.head(key))) {
            throw new ConflictError(
              `${ctx.store.location}/${key} holds another image than this run's (digest ${ctx.image.digest}); nothing was changed`,
              'another run published this release with other images: a release is immutable, publish a new version',
            );
          }
        } finally {
          progress.done();
        }
        return { key, size: ctx.image.size, digest: ctx.image.digest };
      },
    });
    return publicUrl(ctx.config, key);
  },
};

function rawKey(ctx: UploadContext): string {
  return isRelease(ctx.version) ? `raw/${ctx.uid}/qemu.raw` : `raw/${ctx.uid}/${ctx.image.digest}/qemu.raw`;
}
