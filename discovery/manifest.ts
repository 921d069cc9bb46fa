import { createHash } from 'node:crypto';
import { DiscoveryError } from './errors.js';
import { checkSignature } from './trust.js';
import { parseUid } from './version.js';

/**
 * images/manifest.json, the signed manifest (TUF's snapshot idea): which table is the one published for each uid,
 * by the SHA-256 of its exact bytes. A table's `.sig` proves who wrote the bytes; only the manifest proves which uid
 * they were published as, so a consumer that verifies both cannot be handed an old release's table as a new uid's.
 *
 * One object carries the payload and its signature, so a reader never sees one without the other however updates
 * race: `{"payload": "<JSON text>", "signature": "<base64>"}`. The signature is cosign's (`cosign sign-blob`) over the
 * payload's exact UTF-8 bytes: `jq -j .payload manifest.json` is the blob, `jq -r .signature` its `.sig`.
 */
export interface Manifest {
  /** uid → lower-case hex SHA-256 of images/<uid>.json as published. */
  tables: Record<string, string>;
}

export const MANIFEST_PATH = 'images/manifest.json';
export const EMPTY_MANIFEST: Manifest = { tables: {} };
/** About 150 bytes an entry: room for a hundred thousand uids. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export class ManifestError extends DiscoveryError {}

export function tableDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The manifest with `uid` naming the table of this digest (the same object when it already does). */
export function withTable(manifest: Manifest, uid: string, digest: string): Manifest {
  if (manifest.tables[uid] === digest) return manifest;
  const tables = Object.fromEntries(Object.entries({ ...manifest.tables, [uid]: digest }).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { tables };
}

export function formatManifest(manifest: Manifest, sign: (payload: Uint8Array) => string): string {
  const payload = `${JSON.stringify(manifest, null, 2)}\n`;
  return `${JSON.stringify({ payload, signature: sign(Buffer.from(payload, 'utf8')) }, null, 2)}\n`;
}

/** Parses the manifest; with a key, only a payload that key signed is accepted (fails closed). */
export function parseManifest(bytes: Uint8Array, what: string, publicKeyPem?: string): Manifest {
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ManifestError(`${what} is not JSON`);
  }
  const { payload, signature } = (envelope ?? {}) as Record<string, unknown>;
  if (typeof payload !== 'string' || typeof signature !== 'string') throw new ManifestError(`${what} must be {"payload": "…", "signature": "…"}`);
  if (publicKeyPem !== undefined) checkSignature(Buffer.from(payload, 'utf8'), signature, publicKeyPem, what);
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    throw new ManifestError(`the payload of ${what} is not JSON`);
  }
  const tables = (doc as { tables?: unknown } | null)?.tables;
  if (typeof tables !== 'object' || tables === null || Array.isArray(tables)) throw new ManifestError(`the payload of ${what} has no "tables" object`);
  for (const [uid, digest] of Object.entries(tables)) {
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) throw new ManifestError(`${what}: the entry of ${uid} is not a SHA-256`);
    parseUid(uid);
  }
  return { tables: tables as Record<string, string> };
}

/** Fails unless the manifest names exactly these bytes as the table of `uid`. */
export function checkTableBinding(manifest: Manifest, uid: string, table: Uint8Array, where: string): void {
  const expected = manifest.tables[uid];
  if (expected === undefined) {
    throw new ManifestError(
      `the signed manifest (${where}) does not list ${uid}, so its table cannot be trusted`,
      'a release being published appears there last (a CDN may serve a copy up to a minute old): try again shortly',
    );
  }
  if (tableDigest(table) !== expected) {
    throw new ManifestError(`the table of ${uid} is not the one the signed manifest (${where}) names for it: it may be another uid's table, or an old copy`);
  }
}
