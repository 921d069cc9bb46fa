import { createHash } from 'node:crypto';

/** GCE's rule for resource names, images included. */
export const GCE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAME = 63;
const HASH_CHARS = 10;

/**
 * The image name of a uid: `<prefix>-<uid made GCE-safe>`, always the same for the same uid.
 *
 * A release uid (`v2.2.0`) maps injectively by turning its dots into hyphens: `osimage-v2-2-0`. Any other uid may
 * lose information on the way (upper case cannot occur, but dots, underscores and other characters of a branch name
 * all become hyphens, and a long one is cut), so it ends in a hash of the whole uid: two uids never share a name,
 * however long their branch suffixes are and however they differ.
 */
export function imageName(prefix: string, uid: string): string {
  const release = uid.match(/^v(\d+)\.(\d+)\.(\d+)$/);
  if (release) return checked(`${prefix}-v${release[1]}-${release[2]}-${release[3]}`, uid);
  const hash = createHash('sha256').update(uid).digest('hex').slice(0, HASH_CHARS);
  const readable = `${prefix}-${gceSafe(uid)}`.slice(0, MAX_NAME - HASH_CHARS - 1).replace(/-+$/, '');
  return checked(`${readable}-${hash}`, uid);
}

/** Lower case, runs of anything outside [a-z0-9] as one hyphen, no hyphen at either end. */
function gceSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function checked(name: string, uid: string): string {
  if (name.length > MAX_NAME || !GCE_NAME.test(name)) throw new Error(`cannot make a GCE image name from uid ${uid}: got "${name}"`);
  return name;
}
