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

/** Whether an image's labels say that this uid and commit made it. */
export function labelsMatch(labels: Record<string, string> | null | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

/** A text as a GCE label value. */
export function labelValue(text: string): string {
  const safe = text.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (safe.length <= 63) return safe;
  return `${safe.slice(0, 52)}-${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}
