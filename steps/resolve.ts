import { isRelease } from '../discovery/version.js';
import { ConflictError } from '../pipeline/errors.js';
import type { Stage } from '../pipeline/stage.js';
import { tableKey } from './publish/keys.js';
import { isFinished } from './publish/resume.js';

/**
 * Says what the run will do, and stops a release that is already published before any cloud work starts:
 * a release uid is immutable. A table without a finished publication (a run was killed after writing it) is left to
 * a run of the same commit: the publish stage, which knows the image digests, finishes it when it is this run's and
 * refuses it otherwise. A table of another commit is refused here, before anything is built or uploaded.
 */
export const resolveStage: Stage = {
  name: 'resolve',
  async run(ctx) {
    ctx.log.info(
      { uid: ctx.uid, commit: ctx.commit, clouds: ctx.csps, store: ctx.store.location, dryRun: ctx.dryRun },
      `publishing ${ctx.uid} to ${ctx.csps.join(', ')}${ctx.dryRun ? ' (dry run: no cloud writes)' : ''}`,
    );
    if (!isRelease(ctx.version)) return;
    const published = await ctx.store.head(tableKey(ctx.uid));
    if (!published) return;
    if (ctx.extend) {
      ctx.log.info({ uid: ctx.uid }, 'the release is published: this run may only add references to it (--extend)');
      return;
    }
    if (!(await isFinished(ctx))) {
      if (published.metadata.commit === ctx.commit) {
        ctx.log.info({ uid: ctx.uid }, 'the publication of this release stopped before it finished; this run finishes it if its images are the same');
        return;
      }
      throw new ConflictError(
        `release ${ctx.uid} is being published, or was left unfinished, by a run of another commit (${published.metadata.commit ?? 'unknown'}); nothing was changed`,
        'only a rerun of that run (same commit, same images) may finish it',
      );
    }
    throw new ConflictError(
      `release ${ctx.uid} is already published (${ctx.store.location}/${tableKey(ctx.uid)}); nothing was changed`,
      'a release is immutable: publish a new version, use a pseudo version (-pre-<suffix>), or add regions with --extend',
    );
  },
};
