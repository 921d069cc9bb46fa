import { createHash } from 'node:crypto';
import type { Csp } from '../discovery/version.js';
import type { RunContext } from './context.js';

/**
 * What makes two runs "the same run" (issue 18): the uid, the source commit and the digest of every raw image. A
 * rerun of the same identity finishes what a killed run started; a run of another identity never adopts it. The
 * identity travels as one short tag in object metadata (`osimage-run`) and in the run journal.
 */
export interface RunIdentity {
  uid: string;
  commit: string;
  digests: Partial<Record<Csp, string>>;
}

/** Object metadata key of the run tag, beside `osimage-digest` (the image digest of one csp's objects). */
export const RUN_METADATA = 'osimage-run';
export const DIGEST_METADATA = 'osimage-digest';

export function runIdentity(ctx: Pick<RunContext, 'uid' | 'commit' | 'csps' | 'images'>): RunIdentity {
  const digests: Partial<Record<Csp, string>> = {};
  // The publish job of a split CI run knows only the digests its results files carry.
  for (const csp of ctx.csps) if (ctx.images[csp]) digests[csp] = ctx.images[csp].digest;
  return { uid: ctx.uid, commit: ctx.commit, digests };
}

/** SHA-256 of the identity's canonical JSON (clouds in a fixed order), lower-case hex. */
export function runTag(identity: RunIdentity): string {
  const digests = Object.entries(identity.digests).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify([identity.uid, identity.commit, digests])).digest('hex');
}
