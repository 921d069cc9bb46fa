import { isRelease, type Csp } from '../discovery/version.js';
import { mapBounded } from '../pipeline/bounded.js';
import type { RunContext } from '../pipeline/context.js';
import { DigestMismatchError } from '../pipeline/digest-check.js';
import { AbortedError, ConflictError, InputError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import { signatureKey, tableKey } from './publish/keys.js';
import { loadUploader } from './upload/registry.js';
import type { UploadContext } from './upload/uploader.js';

/**
 * Uploads each csp's raw image, the clouds in parallel (bounded). A dry run asks each step for its plan instead:
 * read-only checks and the writes it would make.
 */
export const uploadStage: Stage = {
  name: 'upload',
  async run(ctx) {
    if (ctx.replace && !ctx.dryRun) await withdrawTable(ctx);
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
      if (ctx.replace) {
        if (!uploader.remove) throw new InputError(`--replace: osimage cannot yet delete what earlier runs made on ${csp}`);
        await uploader.remove(uploadContext);
      }
      try {
        setReference(ctx, csp, await uploader.upload(uploadContext));
      } catch (error) {
        const mismatches = error instanceof AggregateError ? error.errors : [error];
        throw mismatches.every((mismatch) => mismatch instanceof DigestMismatchError) ? withWayOut(ctx, csp, mismatches) : error;
      }
      uploadContext.log.info({ reference: ctx.references[csp] }, `${csp}: uploaded`);
    });
  },
};

/**
 * --replace deletes images a published pseudo table may name, so the table (and its signature) goes first: at no
 * moment does a table name something that is gone (DESIGN.md "Publication rules"). The publish stage writes it anew.
 */
async function withdrawTable(ctx: RunContext): Promise<void> {
  const key = tableKey(ctx.uid);
  if (!(await ctx.store.head(key))) return;
  ctx.log.info({ table: `${ctx.store.location}/${key}` }, 'withdrawing the lookup table before its images are replaced (--replace)');
  await ctx.store.delete(key);
  await ctx.store.delete(signatureKey(key));
}

/** A release is one image for good; a pseudo version may start afresh with --replace. */
function withWayOut(ctx: RunContext, csp: Csp, mismatches: DigestMismatchError[]): ConflictError {
  const found = mismatches[0]!.found;
  const hint = isRelease(ctx.version)
    ? `release ${ctx.uid} is one image: publish these bytes as a new version, or run again with exactly the image ${found ?? 'it was made from'}`
    : `run again with --replace to delete what earlier runs made for ${ctx.uid} on ${csp} and publish this image afresh`;
  return new ConflictError(`${csp}: ${mismatches.map((mismatch) => mismatch.message).join('; ')}`, hint);
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
    replace: ctx.replace,
  };
}

function setReference(ctx: RunContext, csp: Csp, reference: unknown): void {
  (ctx.references as Record<Csp, unknown>)[csp] = reference;
}
