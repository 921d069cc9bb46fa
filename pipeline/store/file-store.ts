import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PreconditionFailedError } from '../errors.js';
import type { ObjectInfo, ObjectStore, PutOptions, StoredObject, UploadOptions } from './object-store.js';

/** Object metadata sits beside the tree, so the published tree holds only what consumers read. */
const META_DIR = '.osimage-meta';
const HASHED_UP_TO = 16 * 1024 * 1024;

/**
 * The `file://` store: a directory laid out like the bucket. Every write goes to a temporary file first and is moved
 * into place with rename (or link, for create-only writes), so a reader never sees half a file.
 */
export class FileStore implements ObjectStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = pathToFileURL(this.root).href;
  }

  static fromUrl(url: string): FileStore {
    // file://relative/dir is not a valid file URL; we accept it as a path relative to the working directory.
    return new FileStore(url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length));
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    const temp = await this.tempBeside(path);
    await writeFile(temp, body);
    return this.commit(key, temp, options);
  }

  async upload(key: string, path: string, options: UploadOptions = {}): Promise<{ etag: string }> {
    const target = this.pathOf(key);
    const temp = await this.tempBeside(target);
    const total = (await stat(path)).size;
    let sent = 0;
    const progress = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sent += chunk.length;
        options.onProgress?.(sent, total);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(path), progress, createWriteStream(temp), { signal: options.signal });
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return this.commit(key, temp, options);
  }

  /** For small objects only: it reads the whole body, once, and takes the ETag from those same bytes. */
  async get(key: string): Promise<StoredObject | undefined> {
    const body = await readFile(this.pathOf(key)).catch(ifMissing(undefined));
    if (!body) return undefined;
    if (body.length > HASHED_UP_TO) return { ...(await this.head(key))!, body };
    return { key, size: body.length, etag: etagOf(body), metadata: await this.metadataOf(key), body };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    const stats = await stat(path).catch(ifMissing(undefined));
    if (!stats) return undefined;
    // Hashing a multi-GiB raw image on every head would cost more than it tells; big objects get a stat-based tag.
    const etag = stats.size <= HASHED_UP_TO ? etagOf(await readFile(path)) : `"${stats.size}-${stats.mtimeMs}"`;
    return { key, size: stats.size, etag, metadata: await this.metadataOf(key) };
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
    await rm(this.metaPathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(ifMissing([]));
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== META_DIR) await walk(path);
        } else if (!entry.name.startsWith('.tmp-')) {
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
    try {
      const release = options.ifMatch ? await this.lock(key) : undefined;
      try {
        if (options.ifMatch) {
          const current = await this.head(key);
          if (current?.etag !== options.ifMatch) throw new PreconditionFailedError(key);
        }
        if (options.metadata) await this.writeMetadata(key, options.metadata);
        if (options.ifNoneMatch) {
          // link() fails when the target exists: an atomic create-only.
          await link(temp, path).catch((error: NodeJS.ErrnoException) => {
            throw error.code === 'EEXIST' ? new PreconditionFailedError(key) : error;
          });
        } else {
          await rename(temp, path);
        }
      } finally {
        await release?.();
      }
    } finally {
      await rm(temp, { force: true });
    }
    return { etag: (await this.head(key))!.etag };
  }

  /** A lock file makes read-compare-replace atomic against other osimage processes. */
  private async lock(key: string): Promise<() => Promise<void>> {
    const lockPath = `${this.pathOf(key)}.lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        await (await open(lockPath, 'wx')).close();
        return () => rm(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 200) throw error;
        await new Promise((done) => setTimeout(done, 25));
      }
    }
  }

  private async metadataOf(key: string): Promise<Record<string, string>> {
    const text = await readFile(this.metaPathOf(key), 'utf8').catch(ifMissing(undefined));
    return text ? (JSON.parse(text) as Record<string, string>) : {};
  }

  private async writeMetadata(key: string, metadata: Record<string, string>): Promise<void> {
    const path = this.metaPathOf(key);
    const temp = await this.tempBeside(path);
    await writeFile(temp, JSON.stringify(metadata));
    await rename(temp, path);
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!key || key.startsWith('/') || !path.startsWith(this.root + sep)) throw new Error(`invalid object key "${key}"`);
    return path;
  }

  private metaPathOf(key: string): string {
    return join(this.root, META_DIR, `${key}.json`);
  }

  private async tempBeside(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    return join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`);
  }
}

/** Like S3's for single-part objects: the MD5 of the content, quoted. */
function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function ifMissing<T>(fallback: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  };
}
