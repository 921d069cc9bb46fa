import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TableCache } from './cache.js';
import { DiscoveryInputError } from './errors.js';
import { MAX_LOOKUP_TABLE_BYTES, parseLookupTable, type LookupTable } from './lookup-table.js';
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
  /** false: no local `<uid>.json` is looked for (`--no-local`); only the published table counts. */
  local?: boolean;
  /** When given, the table must carry a valid `<uid>.json.sig` by this key. */
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
  /** Whether the table was a local `<uid>.json`, which wins over the published one. */
  local: boolean;
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
  const pick = ({ table, source }: LoadedTable, local = false): LookupResult => ({ uid, csp: request.csp, ...selectReference(table, uid, request), source, verified, local });
  if (request.local === false && request.lookupDir !== undefined) throw new DiscoveryInputError('--no-local and --lookup-dir contradict each other: give one');
  const local = request.local === false ? undefined : await loadLocalTable(request);
  if (local) return pick(local, true);
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

  const cached = useCache ? await cache?.get(baseUrl, uid) : undefined;
  if (cached && (publicKeyPem === undefined || cached.signature !== undefined)) {
    try {
      if (publicKeyPem !== undefined) checkSignature(cached.bytes, cached.signature, publicKeyPem, url);
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
  if (publicKeyPem !== undefined) checkSignature(bytes, signature, publicKeyPem, url);
  const table = parse(bytes);
  await cache?.put(baseUrl, uid, { bytes, signature });
  return { table, source: url, fromCache: false };
}

export class NoSuchVersionError extends DiscoveryInputError {
  constructor(uid: string, url: string) {
    super(`no such image version: ${uid} (${url} does not exist)`, 'list the published versions with: osimage versions');
  }
}
