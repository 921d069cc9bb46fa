import type { Csp } from '../discovery/version.js';
import { mapBounded } from '../pipeline/bounded.js';
import type { RunContext } from '../pipeline/context.js';
import { AbortedError } from '../pipeline/errors.js';
import { NotReadyError } from '../pipeline/readiness.js';
import type { Stage } from '../pipeline/stage.js';
import { loadUploader } from './upload/registry.js';
import type { UploadContext } from './upload/uploader.js';

/**
 * Uploads each csp's raw image, the clouds in parallel (bounded). A dry run asks each step for its plan instead
 * (what the cloud has, the writes a real run would make) and adds it to the readiness report; every cloud is
 * planned even when one fails.
 */
export const uploadStage: Stage = {
  name: 'upload',
  async run(ctx) {
    if (ctx.dryRun) return planClouds(ctx);
    await mapBounded(ctx.csps, ctx.config.concurrency.clouds, async (csp) => {
      if (ctx.signal.aborted) throw new AbortedError();
      const uploader = await loadUploader(csp);
      const uploadContext = await uploadContextOf(ctx, csp);
      setReference(ctx, csp, await uploader.upload(uploadContext));
      uploadContext.log.info({ reference: ctx.references[csp] }, 'uploaded');
    });
  },
};

async function planClouds(ctx: RunContext): Promise<void> {
  await mapBounded(ctx.csps, ctx.config.concurrency.clouds, async (csp) => {
    const section = ctx.readiness.section(csp);
    try {
      const plan = await (await loadUploader(csp)).plan(await uploadContextOf(ctx, csp));
      section.checks.push(...plan.checks);
      section.writes = plan.writes;
      section.reference = plan.reference;
      setReference(ctx, csp, plan.reference);
    } catch (error) {
      if (ctx.signal.aborted) throw new AbortedError();
      const hint = (error as { hint?: string }).hint;
      section.checks.push({ what: `the ${csp} plan can be made`, ok: false, cause: (error as Error).message, fix: hint ?? `check the ${csp} section of the config` });
    }
  });
  const { failures } = ctx.readiness;
  if (failures.length > 0) throw new NotReadyError(failures);
}

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
    journal: await ctx.journal(csp),
    store: ctx.store,
  };
}

function setReference(ctx: RunContext, csp: Csp, reference: unknown): void {
  (ctx.references as Record<Csp, unknown>)[csp] = reference;
}
