import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TableCache } from './cache.js';
import { DiscoveryError, DiscoveryInputError } from './errors.js';
import { MAX_LOOKUP_TABLE_BYTES, parseLookupTable, type LookupTable } from './lookup-table.js';
import { checkTableBinding, MANIFEST_PATH, MAX_MANIFEST_BYTES, parseManifest, type Manifest } from './manifest.js';
import { MissingEntryError, selectReference, type Selection, type Selector } from './select-reference.js';
import { openSource } from './source.js';
import { checkSignature, MAX_SIGNATURE_BYTES } from './trust.js';
import { isRelease, parseUid } from './version.js';

export interface LookupRequest extends Selector {
  uid: string;
  /**
   * Where published tables are: the CDN, a user repository, or file://<store> of a local run. A function is called
   * only when no local table answers, so finding the URL (reading a config) costs nothing then.
   */
  baseUrl: string | (() => Promise<string>);
  /** Where a local `<uid>.json` wins over the base URL; the working directory by default. */
  lookupDir?: string;
  /**
   * When given, the table must carry a valid `<uid>.json.sig` by this key, and a published table must be the one the
   * signed manifest (images/manifest.json) names for this uid.
   */
  publicKeyPem?: string;
  /** Release tables are cached here; none when absent. */
  cache?: TableCache;
  timeoutMs?: number;
}

export interface LookupResult extends Selection {
  uid: string;
  csp: Selector['csp'];
  /** Where the table came from: a path or a URL. */
  source: string;
  /** Whether a signature was checked. */
  verified: boolean;
}

interface LoadedTable {
  table: LookupTable;
  source: string;
  fromCache: boolean;
}

/**
 * The RFC's lookup: a local `<uid>.json` wins; otherwise the table at `<base>/images/<uid>.json`; then the reference
 * for the cloud, region and security type asked for.
 */
export async function lookupImage(request: LookupRequest): Promise<LookupResult> {
  const { uid } = parseUid(request.uid);
  const verified = request.publicKeyPem !== undefined;
  const pick = ({ table, source }: LoadedTable): LookupResult => ({ uid, csp: request.csp, ...selectReference(table, uid, request), source, verified });
  const local = await loadLocalTable(request);
  if (local) return pick(local);
  const baseUrl = typeof request.baseUrl === 'string' ? request.baseUrl : await request.baseUrl();
  const loaded = await loadPublishedTable(request, baseUrl, true);
  try {
    return pick(loaded);
  } catch (error) {
    // A release table may grow (an image replicated to a new region): a cached copy may just be older.
    if (!(error instanceof MissingEntryError) || !loaded.fromCache) throw error;
    return pick(await loadPublishedTable(request, baseUrl, false));
  }
}

async function loadLocalTable(request: LookupRequest): Promise<LoadedTable | undefined> {
  const dir = request.lookupDir ?? process.cwd();
  const source = openSource(pathToFileURL(join(dir, '/')).href);
  const name = `${request.uid}.json`;
  const bytes = await source.read(name, { maxBytes: MAX_LOOKUP_TABLE_BYTES });
  if (!bytes) {
    if (request.lookupDir !== undefined) throw new DiscoveryInputError(`there is no ${name} in ${dir} (--lookup-dir)`);
    return undefined;
  }
  const path = source.locate(name);
  if (request.publicKeyPem !== undefined) {
    const signature = await source.read(`${name}.sig`, { maxBytes: MAX_SIGNATURE_BYTES });
    checkSignature(bytes, signature?.toString('utf8'), request.publicKeyPem, path);
  }
  return { table: parseLookupTable(bytes, { allow: ['file:'] }), source: path, fromCache: false };
}

async function loadPublishedTable(request: LookupRequest, baseUrl: string, useCache: boolean): Promise<LoadedTable> {
  const { uid, publicKeyPem, timeoutMs } = request;
  const source = openSource(baseUrl);
  const path = `images/${uid}.json`;
  const url = source.locate(path);
  // A table may point where it came from: a local store to its files, a server on this machine to itself.
  const allow = source.scheme === 'file:' || source.scheme === 'http:' ? [source.scheme] : [];
  const parse = (bytes: Buffer): LookupTable => parseLookupTable(bytes, { allow });
  const cache = isRelease(parseUid(uid).version) && source.scheme !== 'file:' ? request.cache : undefined;

  // Only the manifest says which table is this uid's; it is small, and read fresh on every verified lookup.
  const manifest = publicKeyPem !== undefined ? await readManifest(source, publicKeyPem, timeoutMs) : undefined;
  const trust = (bytes: Buffer, signature: string | undefined) => {
    if (publicKeyPem === undefined) return;
    checkSignature(bytes, signature, publicKeyPem, url);
    checkTableBinding(manifest!, uid, bytes, source.locate(MANIFEST_PATH));
  };

  const cached = useCache ? await cache?.get(baseUrl, uid) : undefined;
  if (cached && (publicKeyPem === undefined || cached.signature !== undefined)) {
    try {
      trust(cached.bytes, cached.signature);
      return { table: parse(cached.bytes), source: url, fromCache: true };
    } catch {
      // A damaged cache entry (or one signed by a key not asked for) is only a miss: the source decides.
    }
  }

  const bytes = await source.read(path, { maxBytes: MAX_LOOKUP_TABLE_BYTES, timeoutMs });
  if (!bytes) throw new NoSuchVersionError(uid, url);
  // The signature is read when it is checked now, or cached for a later lookup that checks it.
  const wanted = publicKeyPem !== undefined || cache !== undefined;
  const signature = wanted ? (await source.read(`${path}.sig`, { maxBytes: MAX_SIGNATURE_BYTES, timeoutMs }))?.toString('utf8') : undefined;
  trust(bytes, signature);
  const table = parse(bytes);
  await cache?.put(baseUrl, uid, { bytes, signature });
  return { table, source: url, fromCache: false };
}

async function readManifest(source: ReturnType<typeof openSource>, publicKeyPem: string, timeoutMs: number | undefined): Promise<Manifest> {
  const bytes = await source.read(MANIFEST_PATH, { maxBytes: MAX_MANIFEST_BYTES, timeoutMs });
  const where = source.locate(MANIFEST_PATH);
  if (!bytes) throw new DiscoveryError(`${where} does not exist, so no table can be verified as its uid's`, 'the publisher writes it with every publication; leave out --key to read unverified');
  return parseManifest(bytes, where, publicKeyPem);
}

export class NoSuchVersionError extends DiscoveryInputError {
  constructor(uid: string, url: string) {
    super(`no such image version: ${uid} (${url} does not exist)`, 'list the published versions with: osimage versions');
  }
}
