import { createHash } from 'node:crypto';
import { InputError } from '../../../pipeline/errors.js';
import { isRelease, type Version } from '../../../discovery/version.js';

const INT32_MAX = 2 ** 31 - 1;

/**
 * The gallery image version name of a uid. Azure takes only `int.int.int` (each a 32-bit signed integer), and a VM
 * that asks for `latest` gets the highest, so:
 * - a release vMAJOR.MINOR.PATCH is `MAJOR.MINOR.PATCH`;
 * - a pseudo version is `0.<MAJOR·10⁶ + MINOR·10³ + PATCH>.<first 31 bits of SHA-256(uid)>`, e.g.
 *   v2.3.0-pre-debug-cc0de5c6… → `0.2003000.<n>`. Major 0 keeps every pseudo version below the releases (`latest`
 *   stays a release), the middle part says which release it precedes, and the hash of the uid (which holds the
 *   suffix and the commit) tells pseudo versions of one release apart, the same name on every run.
 */
export function galleryVersionName(uid: string, version: Version): string {
  if (isRelease(version)) {
    for (const part of [version.major, version.minor, version.patch]) {
      if (part > INT32_MAX) throw new InputError(`version ${version.text} has a part above ${INT32_MAX}, which Azure cannot name`);
    }
    return `${version.major}.${version.minor}.${version.patch}`;
  }
  if (version.major > 2146 || version.minor > 999 || version.patch > 999) {
    throw new InputError(
      `pseudo version ${version.text} cannot be named in an Azure gallery`,
      'pseudo versions need MAJOR ≤ 2146 and MINOR, PATCH ≤ 999 (see steps/upload/azure/version-name.ts)',
    );
  }
  const release = version.major * 1_000_000 + version.minor * 1_000 + version.patch;
  const hash = createHash('sha256').update(uid).digest().readUInt32BE(0) >>> 1;
  return `0.${release}.${hash}`;
}
