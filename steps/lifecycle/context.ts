import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { isRelease, parseUid, type Version } from '../../discovery/version.js';
import { InputError } from '../../pipeline/errors.js';
import { journalStoreOf } from '../../pipeline/journal.js';
import type { Logger } from '../../pipeline/logger.js';
import type { ObjectStore } from '../../pipeline/store/object-store.js';
import { openStore } from '../../pipeline/store/open-store.js';

/** What the lifecycle commands (delete, replicate, gc) work with: no image, no build, just what was published. */
export interface LifecycleContext {
  readonly config: Config;
  /** The publication store: tables, index, measurements, raw images. */
  readonly store: ObjectStore;
  /** Where the journals are (the store, or stateDir on disk). */
  readonly journalStore: ObjectStore;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export async function openLifecycle(configPath: string | undefined, log: Logger, signal: AbortSignal): Promise<LifecycleContext> {
  const { config } = await loadConfig(configPath);
  const store = await openStore(config.store);
  return { config, store, journalStore: journalStoreOf(config, store), log, signal };
}

/** A uid from the command line, with the rule that a release is only touched when the flag says so. */
export function parseTargetUid(uid: string, options: { release?: boolean; command: string }): { uid: string; version: Version } {
  const parsed = parseUid(uid);
  if (isRelease(parsed.version) && !options.release) {
    throw new InputError(
      `${uid} is a release: ${options.command} refuses a release unless --release is given as well`,
      'releases are deprecated, not deleted (osimage gc does that); delete one only deliberately, with --release',
    );
  }
  return { uid, version: parsed.version };
}
