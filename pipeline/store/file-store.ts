import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crashPoint } from '../crash-point.js';
import { PreconditionFailedError } from '../errors.js';
import { acquireLock, isTempName, LOCK_SUFFIX, removeDeadLocks, removeDeadTemps, syncDir, syncFile, tempIn, writeAtomic, writeTemp } from './local-files.js';
import type { ObjectInfo, ObjectStore, PutOptions, StoredObject, UploadOptions } from './object-store.js';

/** Object metadata and locks sit beside the tree, so the published tree holds only what consumers read. */
const META_DIR = '.osimage-meta';
const HASHED_UP_TO = 16 * 1024 * 1024;

/**
 * The `file://` store: a directory laid out like the bucket. Every write goes to a flushed temporary file first and
 * is moved into place with rename (or link, for create-only writes), so a reader never sees half a file, and a kill
 * at any moment leaves the old object or the new one.
 *
 * An object's metadata belongs to its inode (`.osimage-meta/<key>.<inode>.json`) and is written before the object is
 * moved into place: object and metadata appear together, in the one rename or link, as on S3. A writer that loses a
 * create-only race leaves the winner's metadata untouched.
 */
export class FileStore implements ObjectStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = pathToFileURL(this.root).href;
  }

  /** Opens the store for a run, removing what writers that died left behind. */
  static async open(root: string): Promise<FileStore> {
    const store = new FileStore(root);
    await removeDeadTemps(store.root);
    await removeDeadLocks(join(store.root, META_DIR));
    return store;
  }

  static fromUrl(url: string): FileStore {
    // file://relative/dir is not a valid file URL; we accept it as a path relative to the working directory.
    return new FileStore(url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length));
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    return this.commit(key, await writeTemp(path, body), options);
  }

  async upload(key: string, path: string, options: UploadOptions = {}): Promise<{ etag: string }> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = await tempIn(dirname(target));
    const total = (await stat(path)).size;
    let sent = 0;
    const progress = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sent += chunk.length;
        options.onProgress?.(sent, total);
        crashPoint('file-store:uploading');
        callback(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(path), progress, createWriteStream(temp, { flags: 'wx' }), { signal: options.signal });
      await syncFile(temp);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return this.commit(key, temp, options);
  }

  /** For small objects only: it reads the whole body, once, and takes the ETag and metadata from that same file. */
  async get(key: string): Promise<StoredObject | undefined> {
    const handle = await open(this.pathOf(key), 'r').catch(ifMissing(undefined));
    if (!handle) return undefined;
    try {
      const stats = await handle.stat();
      const body = await handle.readFile();
      const etag = body.length > HASHED_UP_TO ? bigEtag(stats) : etagOf(body);
      return { key, size: body.length, etag, metadata: await this.metadataOf(key, stats.ino), body };
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const handle = await open(this.pathOf(key), 'r').catch(ifMissing(undefined));
    if (!handle) return undefined;
    try {
      const stats = await handle.stat();
      // Hashing a multi-GiB raw image on every head would cost more than it tells; big objects get a stat-based tag.
      const etag = stats.size <= HASHED_UP_TO ? etagOf(await handle.readFile()) : bigEtag(stats);
      return { key, size: stats.size, etag, metadata: await this.metadataOf(key, stats.ino) };
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    const stats = await stat(this.pathOf(key)).catch(ifMissing(undefined));
    await rm(this.pathOf(key), { force: true });
    if (stats) await rm(this.metaPathOf(key, stats.ino), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(ifMissing([]));
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== META_DIR) await walk(path);
        } else if (!isTempName(entry.name)) {
          const key = relative(this.root, path).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(this.root);
    return keys.sort();
  }

  /** Moves a finished temporary file into place, honouring the write's condition. */
  private async commit(key: string, temp: string, options: PutOptions): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    const { ino } = await stat(temp);
    try {
      await this.writeMetadata(key, ino, options.metadata);
      crashPoint('file-store:before-commit');
      if (options.ifNoneMatch) {
        // link() fails when the target exists: an atomic create-only.
        await link(temp, path).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
          await rm(this.metaPathOf(key, ino), { force: true });
          throw new PreconditionFailedError(key);
        });
      } else {
        const release = options.ifMatch ? await acquireLock(this.lockPathOf(key)) : undefined;
        try {
          const replaced = await stat(path).catch(ifMissing(undefined));
          if (options.ifMatch && (await this.head(key))?.etag !== options.ifMatch) {
            await rm(this.metaPathOf(key, ino), { force: true });
            throw new PreconditionFailedError(key);
          }
          await rename(temp, path);
          if (replaced) await rm(this.metaPathOf(key, replaced.ino), { force: true });
        } finally {
          await release?.();
        }
      }
      await syncDir(dirname(path));
      crashPoint('file-store:after-commit');
    } finally {
      await rm(temp, { force: true });
    }
    return { etag: (await this.head(key))!.etag };
  }

  private async metadataOf(key: string, ino: number): Promise<Record<string, string>> {
    const text = await readFile(this.metaPathOf(key, ino), 'utf8').catch(ifMissing(undefined));
    return text ? (JSON.parse(text) as Record<string, string>) : {};
  }

  /** No metadata still clears what an earlier file of the same inode number may have left. */
  private async writeMetadata(key: string, ino: number, metadata: Record<string, string> | undefined): Promise<void> {
    const path = this.metaPathOf(key, ino);
    if (!metadata) return rm(path, { force: true });
    await mkdir(dirname(path), { recursive: true });
    await writeAtomic(path, JSON.stringify(metadata));
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!key || key.startsWith('/') || !path.startsWith(this.root + sep)) throw new Error(`invalid object key "${key}"`);
    return path;
  }

  private metaPathOf(key: string, ino: number): string {
    return join(this.root, META_DIR, `${key}.${ino}.json`);
  }

  private lockPathOf(key: string): string {
    return join(this.root, META_DIR, `${key}${LOCK_SUFFIX}`);
  }
}

/** Like S3's for single-part objects: the MD5 of the content, quoted. */
function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function bigEtag(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `"${stats.size}-${stats.mtimeMs}-${stats.ino}"`;
}

function ifMissing<T>(fallback: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  };
}
