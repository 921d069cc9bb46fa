import type { Csp, Version } from '../../discovery/version.js';
import type { Config } from '../../config/schema.js';
import type { RawImage } from '../../pipeline/context.js';
import type { Journal } from '../../pipeline/journal.js';
import type { Logger } from '../../pipeline/logger.js';
import type { RetryCounts } from '../../pipeline/retry.js';
import type { ObjectStore } from '../../pipeline/store/object-store.js';

/** What one cloud's upload step gets: the inputs, its raw image, and a journal of its own. */
export interface UploadContext {
  readonly uid: string;
  readonly version: Version;
  readonly commit: string;
  readonly csp: Csp;
  readonly image: RawImage;
  readonly config: Config;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Things the run summary must tell (e.g. a best-effort region left out); the step logs them too. */
  readonly warnings: string[];
  /** Where the step's retries are counted (`new Retrier(csp, config.retry, log, retries)`), for the run summary. */
  readonly retries: RetryCounts;
  /** Scoped to this csp; use it through `resumable()` so that every cloud write is idempotent. */
  readonly journal: Journal;
  /** The publication store (the qemu step publishes its raw image there). */
  readonly store: ObjectStore;
}

/** The result of a dry run: what was checked read-only, and the writes a real run would make. */
export interface Plan<Ref> {
  checks: string[];
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
  /** Read-only: checks credentials and resources, and says what it would write. Writes nothing. */
  plan(ctx: UploadContext): Promise<Plan<Ref>>;
  /** Creates or adopts every cloud resource and returns the lookup-table entry. Idempotent and resumable. */
  upload(ctx: UploadContext): Promise<Ref>;
}
