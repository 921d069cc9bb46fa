import { EMPTY_INDEX, formatVersionsIndex, parseVersionsIndex, type VersionsIndex } from '../../discovery/versions-index.js';
import { PreconditionFailedError } from '../../pipeline/errors.js';
import type { Logger } from '../../pipeline/logger.js';
import type { ObjectStore } from '../../pipeline/store/object-store.js';
import { VERSIONS_KEY } from './keys.js';

const INDEX_CACHE = 'public, max-age=60';
/** Concurrent pipelines may race on versions.json; each retry rereads it. */
const INDEX_ATTEMPTS = 10;

/**
 * Read-modify-write of images/versions.json on its ETag, so two pipelines (a publication and a delete) never drop
 * each other's change. `change` returns the index it was given when there is nothing to do.
 */
export async function updateVersionsIndex(store: ObjectStore, log: Logger, change: (index: VersionsIndex) => VersionsIndex): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(VERSIONS_KEY);
    const index = current ? parseVersionsIndex(current.body.toString('utf8')) : EMPTY_INDEX;
    const updated = change(index);
    if (updated === index) return;
    try {
      await store.put(VERSIONS_KEY, formatVersionsIndex(updated), {
        contentType: 'application/json',
        cacheControl: INDEX_CACHE,
        ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
      });
      return;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= INDEX_ATTEMPTS) throw error;
      log.info({ attempt }, 'versions.json changed while we updated it; reading it again');
    }
  }
}
