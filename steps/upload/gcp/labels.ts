import { createHash } from 'node:crypto';
import type { UploadContext } from '../uploader.js';

/**
 * The labels that say which run made an image: the uid, the version and the commit. A rerun adopts an image only
 * when they match. GCE label values allow lower-case letters, digits, `_` and `-`, at most 63 characters: dots
 * become `_` (versions hold no `_`, so nothing collides), and a longer value is cut and ends in a hash of the whole.
 */
export function imageLabels(ctx: Pick<UploadContext, 'uid' | 'version' | 'commit'>): Record<string, string> {
  return {
    'osimage-uid': labelValue(ctx.uid),
    'osimage-version': labelValue(ctx.version.text),
    'osimage-commit': labelValue(ctx.commit),
  };
}

/**
 * The image digest on a GCE image. Label values hold at most 63 characters and the digest has 64, so the full digest
 * is in the description (`… sha256:<digest>`) and the label `osimage-digest` holds its first 32 hex characters, enough
 * to filter images by (`gcloud compute images list --filter labels.osimage-digest=…`).
 */
export const DIGEST_LABEL = 'osimage-digest';
const LABEL_PREFIX_LENGTH = 32;

export function digestLabels(digest: string): Record<string, string> {
  return { [DIGEST_LABEL]: digest.slice(0, LABEL_PREFIX_LENGTH) };
}

export function imageDescription(uid: string, digest: string): string {
  return `osimage ${uid} sha256:${digest}`;
}

/** The digest an image carries: its description's, when the label agrees; undefined otherwise. */
export function digestOfImage(image: { description?: string | null; labels?: Record<string, string> | null }): string | undefined {
  const digest = /sha256:([0-9a-f]{64})\b/.exec(image.description ?? '')?.[1];
  return digest && image.labels?.[DIGEST_LABEL] === digest.slice(0, LABEL_PREFIX_LENGTH) ? digest : undefined;
}

/** Whether an image's labels say that this uid and commit made it. */
export function labelsMatch(labels: Record<string, string> | null | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

function labelValue(text: string): string {
  const safe = text.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (safe.length <= 63) return safe;
  return `${safe.slice(0, 52)}-${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}
