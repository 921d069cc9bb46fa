import type { Csp, Version } from '../../discovery/version.js';
import type { Config } from '../../config/schema.js';
import type { RawImage } from '../../pipeline/context.js';
import type { Journal } from '../../pipeline/journal.js';
import type { Logger } from '../../pipeline/logger.js';
import type { ObjectStore } from '../../pipeline/store/object-store.js';

/** What a cloud's preflight needs: the config and nothing of the release, so `osimage check` runs without one. */
export interface PreflightContext {
  readonly csp: Csp;
  /** The release's uid when there is one: what it made itself (a public AMI of an interrupted run) needs no room. */
  readonly uid?: string;
  readonly config: Config;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** What one cloud's upload step gets: the inputs, its raw image, and a journal of its own. */
export interface UploadContext extends PreflightContext {
  readonly uid: string;
  readonly version: Version;
  readonly commit: string;
  readonly image: RawImage;
  /** Things the run summary must tell (e.g. a best-effort region left out); the step logs them too. */
  readonly warnings: string[];
  /** Scoped to this csp; use it through `resumable()` so that every cloud write is idempotent. */
  readonly journal: Journal;
  /** The publication store (the qemu step publishes its raw image there). */
  readonly store: ObjectStore;
}

/**
 * One read-only check of a readiness report (pipeline/readiness.ts): what was checked, and when it failed, why and
 * what to do about it. A failed check stops a real run before its first write.
 */
export interface Check {
  /** What was checked, as a statement that holds when ok: "region eu-west-1 is enabled for the account". */
  what: string;
  ok: boolean;
  /** Why it failed: the cloud's answer, in words. */
  cause?: string;
  /** What to do about it: a command to run, a config key to change. */
  fix?: string;
}

/** The result of a dry run: what the cloud already has, and the writes a real run would make. */
export interface Plan<Ref> {
  /** Findings about the cloud's state (a resource that is reused, a name that is free); a failed one stops a run. */
  checks: Check[];
  writes: string[];
  /** The reference a real run would produce, with `<planned>` where the cloud chooses the id. */
  reference: Ref;
}

/**
 * One cloud's upload step. `Ref` is that cloud's entry in the lookup table. The module that implements it is
 * loaded only when its cloud is built, so its SDK costs nothing otherwise.
 */
export interface Uploader<Ref> {
  readonly csp: Csp;
  /**
   * Read-only: everything a run of this cloud needs that can be checked before the first write (credentials,
   * regions, buckets, roles, quotas). Every check runs that can; a failed check is returned, never thrown.
   */
  preflight(ctx: PreflightContext): Promise<Check[]>;
  /** Read-only, after a passed preflight: what the cloud already has and what a real run would write. */
  plan(ctx: UploadContext): Promise<Plan<Ref>>;
  /** Creates or adopts every cloud resource and returns the lookup-table entry. Idempotent and resumable. */
  upload(ctx: UploadContext): Promise<Ref>;
}
