import type { Csp } from '../discovery/version.js';
import { mapBounded } from '../pipeline/bounded.js';
import type { RunContext } from '../pipeline/context.js';
import { AbortedError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import { loadUploader } from './upload/registry.js';
import type { UploadContext } from './upload/uploader.js';

/**
 * Uploads each csp's raw image, the clouds in parallel (bounded). A dry run asks each step for its plan instead:
 * read-only checks and the writes it would make.
 */
export const uploadStage: Stage = {
  name: 'upload',
  async run(ctx) {
    await mapBounded(ctx.csps, ctx.config.concurrency.clouds, async (csp) => {
      if (ctx.signal.aborted) throw new AbortedError();
      const uploader = await loadUploader(csp);
      const uploadContext = await uploadContextOf(ctx, csp);
      if (ctx.dryRun) {
        const plan = await uploader.plan(uploadContext);
        uploadContext.log.info({ checks: plan.checks, writes: plan.writes }, `${csp}: ${plan.writes.length} cloud writes planned`);
        setReference(ctx, csp, plan.reference);
        return;
      }
      setReference(ctx, csp, await uploader.upload(uploadContext));
      uploadContext.log.info({ reference: ctx.references[csp] }, `${csp}: uploaded`);
    });
  },
};

export async function uploadContextOf(ctx: RunContext, csp: Csp): Promise<UploadContext> {
  const image = ctx.images[csp];
  if (!image) throw new Error(`no raw image was collected for ${csp}`);
  return {
    uid: ctx.uid,
    version: ctx.version,
    commit: ctx.commit,
    csp,
    image,
    config: ctx.config,
    log: ctx.log.child({ csp }),
    signal: ctx.signal,
    warnings: ctx.warnings,
    retries: ctx.retries,
    journal: await ctx.journal(csp),
    store: ctx.store,
  };
}

function setReference(ctx: RunContext, csp: Csp, reference: unknown): void {
  (ctx.references as Record<Csp, unknown>)[csp] = reference;
}
