import { DiscoveryError } from './errors.js';
import { openSource } from './source.js';
import { parseVersionsIndex, type VersionsIndex } from './versions-index.js';

/** Thousands of uids fit; an index beyond this is not ours. */
export const MAX_VERSIONS_INDEX_BYTES = 4 * 1024 * 1024;

/** The published uids of a repository (images/versions.json): releases newest first, then pseudo versions. */
export async function listVersions(request: { baseUrl: string; timeoutMs?: number }): Promise<VersionsIndex> {
  const source = openSource(request.baseUrl);
  const path = 'images/versions.json';
  const bytes = await source.read(path, { maxBytes: MAX_VERSIONS_INDEX_BYTES, timeoutMs: request.timeoutMs });
  if (!bytes) {
    throw new DiscoveryError(`${source.locate(path)} does not exist: nothing was published there, or the base URL is wrong`);
  }
  return parseVersionsIndex(bytes.toString('utf8'));
}
