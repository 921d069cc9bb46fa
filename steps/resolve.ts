import { isRelease } from '../discovery/version.js';
import { requireSecrets } from '../pipeline/check-secrets.js';
import { ConflictError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import { tableKey } from './publish/keys.js';
import { publishedByThisRun } from './publish/resume.js';

/**
 * Says what the run will do, and stops a release that is already published before any cloud work starts:
 * a release uid is immutable. The only exception is a run that was interrupted after it created the table
 * itself, which its journal proves; it resumes to finish the index. Every secret the run needs (the signing key, cloud
 * tokens) is read here too: a missing one must stop the run before the first cloud write, not an hour into it.
 */
export const resolveStage: Stage = {
  name: 'resolve',
  async run(ctx) {
    ctx.log.info(
      { uid: ctx.uid, commit: ctx.commit, clouds: ctx.csps, store: ctx.store.location, dryRun: ctx.dryRun },
      `publishing ${ctx.uid} to ${ctx.csps.join(', ')}${ctx.dryRun ? ' (dry run: no cloud writes)' : ''}`,
    );
    await requireSecrets(ctx.config, ctx.csps, { signs: ctx.signs });
    // Loading the key also proves it parses and its password opens it.
    if (ctx.signs) await ctx.signer();
    if (!isRelease(ctx.version)) return;
    const published = await ctx.store.head(tableKey(ctx.uid));
    if (!published) return;
    if (await publishedByThisRun(ctx, published.etag)) {
      ctx.log.info({ uid: ctx.uid }, 'this run created the lookup table before it stopped; finishing the publication');
      return;
    }
    if (ctx.extend) {
      ctx.log.info({ uid: ctx.uid }, 'the release is published: this run may only add references to it (--extend)');
      return;
    }
    throw new ConflictError(
      `release ${ctx.uid} is already published (${ctx.store.location}/${tableKey(ctx.uid)}); nothing was changed`,
      'a release is immutable: publish a new version, use a pseudo version (-pre-<suffix>), or add regions with --extend',
    );
  },
};
