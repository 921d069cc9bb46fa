import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The on-disk cache of release lookup tables. A release's table never changes a reference (DESIGN.md "Publication
 * rules"), so once read it may be reused; pseudo versions may be republished and are never cached. Entries are keyed
 * by base URL and uid, so two repositories never answer for each other. A cache that cannot be read or written is
 * skipped, never an error: it only saves a request.
 */
export interface TableCache {
  get(baseUrl: string, uid: string): Promise<CachedTable | undefined>;
  put(baseUrl: string, uid: string, table: CachedTable): Promise<void>;
}

export interface CachedTable {
  /** The table's exact bytes, so a signature can be checked again. */
  bytes: Buffer;
  /** Its signature, when one was read with it. */
  signature?: string;
}

/** $XDG_CACHE_HOME/osimage, else ~/.cache/osimage. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'osimage');
}

export function diskCache(dir: string = defaultCacheDir()): TableCache {
  const pathOf = (baseUrl: string, uid: string): string =>
    join(dir, 'tables', createHash('sha256').update(baseUrl.replace(/\/+$/, '')).digest('hex').slice(0, 32), `${uid}.json`);
  return {
    async get(baseUrl, uid) {
      const path = pathOf(baseUrl, uid);
      const bytes = await readFile(path).catch(() => undefined);
      if (!bytes) return undefined;
      const signature = await readFile(`${path}.sig`, 'utf8').catch(() => undefined);
      return { bytes, signature };
    },
    async put(baseUrl, uid, { bytes, signature }) {
      const path = pathOf(baseUrl, uid);
      try {
        await mkdir(join(path, '..'), { recursive: true });
        // The signature goes first: a reader that finds the table finds its signature too.
        if (signature !== undefined) await atomicWrite(`${path}.sig`, signature);
        await atomicWrite(path, bytes);
      } catch {
        // A read-only home or a full disk costs a request next time, nothing more.
      }
    },
  };
}

async function atomicWrite(path: string, body: string | Buffer): Promise<void> {
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, body);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}
