import { createHash } from 'node:crypto';
import type { AwsConfig } from '../../../config/aws.js';

/**
 * Every name the AWS step gives a resource derives from the uid alone, so a rerun (or a second machine) computes the
 * same names and finds what an earlier run made.
 */

/** AMI names: 3 to 128 characters of letters, digits, space and ( ) [ ] . / - ' @ _. */
const AMI_NAME_MAX = 128;
const NOT_IN_AMI_NAMES = /[^a-zA-Z0-9 ()[\]./'@_-]/g;
const HASH_LENGTH = 12;

/** `<namePrefix>-<uid>`, shortened with a hash of the whole when too long, so two uids never share a name. */
export function amiName(config: AwsConfig, uid: string): string {
  const full = `${config.namePrefix}-${uid}`;
  const clean = full.replace(NOT_IN_AMI_NAMES, '_');
  if (clean === full && full.length <= AMI_NAME_MAX) return full;
  const hash = sha256(full).slice(0, HASH_LENGTH);
  return `${clean.slice(0, AMI_NAME_MAX - HASH_LENGTH - 1)}-${hash}`;
}

/** The key of the uploaded image in the import bucket: one per uid, image variant and format (`.vmdk`, `.raw`). */
export function importObjectKey(config: AwsConfig, uid: string, variant: string): string {
  return `${config.import.prefix}${uid}/${variant}.${config.import.format}`;
}

/** The import task's description: how a rerun recognises a task started by an earlier run. */
export function importDescription(config: AwsConfig, key: string): string {
  return `osimage import of s3://${config.import.bucket}/${key}`;
}

/** EC2 idempotency tokens (at most 64 ASCII characters): the same work always sends the same token. */
export function clientToken(...parts: string[]): string {
  return sha256(parts.join('\n'));
}

export interface Provenance {
  uid: string;
  version: string;
  commit: string;
}

/** Tags on the snapshot and on every AMI; `osimage:uid` is what a rerun searches by. */
export function resourceTags(name: string, provenance: Provenance): { Key: string; Value: string }[] {
  return [
    { Key: 'Name', Value: name },
    { Key: UID_TAG, Value: provenance.uid },
    { Key: 'osimage:version', Value: provenance.version },
    { Key: 'osimage:commit', Value: provenance.commit },
  ];
}

export const UID_TAG = 'osimage:uid';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
