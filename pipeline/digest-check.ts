import { ConflictError } from './errors.js';

/** The name of the image digest in S3/GCS object metadata and Azure tags; AWS tags use `osimage:digest`. */
export const DIGEST_METADATA = 'osimage-digest';

/**
 * Something an earlier run made for this uid holds another image than this run's: reusing it would publish the
 * measurements of one image beside another. The upload stage adds the way out (`--replace` for a pseudo version).
 */
export class DigestMismatchError extends ConflictError {
  constructor(
    readonly resource: string,
    readonly found: string | undefined,
    readonly expected: string,
  ) {
    super(`${resource} was made from the image ${found ?? '(no digest recorded)'}, not from this run's image ${expected}; nothing was reused`);
  }
}

/** The check every reuse makes: the digest an existing resource carries must be this run's. */
export function checkDigest(resource: string, found: string | undefined, expected: string): void {
  if (found !== expected) throw new DigestMismatchError(resource, found, expected);
}
