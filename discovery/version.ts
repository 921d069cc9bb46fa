import { OsimageError } from './errors.js';

/**
 * Versions and image version uids (DESIGN.md "Words"). This is part of the consumer contract, so it lives in
 * discovery/, which the pipeline may import but which never imports the pipeline.
 */
export type Csp = 'aws' | 'azure' | 'gcp' | 'qemu';
export const CSPS: readonly Csp[] = ['aws', 'azure', 'gcp', 'qemu'];

export interface Version {
  /** As given, e.g. `v2.3.0-pre-debug`. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The part after `-pre-` of a pseudo version, absent for a release. */
  readonly suffix?: string;
}

/** Bad version, commit or uid: exit 2 like every input error. */
export class VersionError extends OsimageError {
  override readonly exitCode = 2;
}

const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(.*))?$/;
const SUFFIX = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const COMMIT = /^[0-9a-f]{40}$/;
const EXPECTED = 'expected vMAJOR.MINOR.PATCH (a release, e.g. v2.2.0) or vMAJOR.MINOR.PATCH-pre-<suffix> (e.g. v2.3.0-pre-debug)';

export function parseVersion(text: string): Version {
  if (/^\d/.test(text)) throw new VersionError(`version "${text}" lacks the leading "v": ${EXPECTED}`);
  const match = VERSION.exec(text);
  if (!match) throw new VersionError(`version "${text}" is not a version: ${EXPECTED}`);
  const [, major, minor, patch, pre] = match;
  const version = { text, major: Number(major), minor: Number(minor), patch: Number(patch) };
  if (pre === undefined) return version;
  if (!pre.startsWith('pre-') && pre !== 'pre') {
    throw new VersionError(`version "${text}" has the pre-release "${pre}"; only "-pre-<suffix>" is allowed: ${EXPECTED}`);
  }
  const suffix = pre.slice('pre-'.length);
  if (suffix === '') throw new VersionError(`version "${text}" has an empty suffix after "-pre-": ${EXPECTED}`);
  if (!SUFFIX.test(suffix)) {
    throw new VersionError(
      `version "${text}" has the suffix "${suffix}", which is not usable in a file name and an S3 key: ` +
        'use only lower-case letters, digits and single "-" between them (e.g. -pre-debug, -pre-my-branch)',
    );
  }
  return { ...version, suffix };
}

export function isRelease(version: Version): boolean {
  return version.suffix === undefined;
}

/** Checks a full commit hash; short hashes are resolved by the caller (it knows the repository). */
export function parseCommit(text: string): string {
  if (COMMIT.test(text)) return text;
  const what = /^[0-9a-fA-F]+$/.test(text)
    ? text.length < 40
      ? `is a short hash (${text.length} characters)`
      : text.length > 40
        ? `is too long (${text.length} characters)`
        : 'has upper-case letters'
    : 'is not a hexadecimal hash';
  throw new VersionError(`commit "${text}" ${what}: the full 40-character lower-case hash is needed (git rev-parse HEAD)`);
}

/** The image version uid: the version for a release, `<version>-<commit>` for a pseudo version. */
export function uidOf(version: Version, commit: string): string {
  return isRelease(version) ? version.text : `${version.text}-${commit}`;
}

export interface ParsedUid {
  readonly uid: string;
  readonly version: Version;
  /** Present for pseudo versions, whose uid ends in the commit. */
  readonly commit?: string;
}

/** Parses a uid as consumers receive it, e.g. from a config file. */
export function parseUid(uid: string): ParsedUid {
  const pseudo = /^(v.+)-([0-9a-f]{40})$/.exec(uid);
  if (pseudo) {
    const version = parseVersion(pseudo[1]!);
    if (!isRelease(version)) return { uid, version, commit: pseudo[2] };
  }
  const version = parseVersion(uid);
  if (!isRelease(version)) {
    throw new VersionError(`uid "${uid}" is a pseudo version without its commit: expected ${uid}-<40-character commit>`);
  }
  return { uid, version };
}
