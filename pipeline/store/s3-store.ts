import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PreconditionFailedError } from '../errors.js';
import type { ObjectInfo, ObjectStore, PutOptions, StoredObject, UploadOptions } from './object-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key, without a trailing slash. */
  prefix?: string;
  region?: string;
  /** An S3-compatible server, e.g. http://127.0.0.1:4568. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /**
   * SHA-256 flexible checksums on every request (the default, for real S3). Some S3-compatible servers (s3rver)
   * store a checksummed streaming body with its chunk framing: turn them off there.
   */
  checksums?: boolean;
}

const MiB = 1024 * 1024;
/** Parts in flight; memory use is about partSize × QUEUE_SIZE, whatever the file's size. */
const QUEUE_SIZE = 4;
const MAX_PARTS = 10_000;

/** The S3 adapter of the object store: streaming multipart uploads, conditional writes. */
export class S3Store implements ObjectStore {
  readonly location: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly checksums: boolean;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
    this.checksums = options.checksums ?? true;
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix.slice(0, -1)}` : ''}`;
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: this.checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
      responseChecksumValidation: this.checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
      retryMode: 'adaptive',
      maxAttempts: 6,
    });
  }

  /** `s3://bucket/prefix` → bucket and prefix. */
  static parseUrl(url: string): { bucket: string; prefix?: string } {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!match) throw new Error(`not an s3:// URL: ${url}`);
    return { bucket: match[1]!, prefix: match[2] || undefined };
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const result = await this.conditional(key, () =>
      this.client.send(
        new PutObjectCommand({
          ...this.writeParams(key, options),
          Body: body,
          IfNoneMatch: options.ifNoneMatch,
          IfMatch: options.ifMatch,
          ...(this.checksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
        }),
      ),
    );
    return { etag: result.ETag ?? '' };
  }

  async upload(key: string, path: string, options: UploadOptions = {}): Promise<{ etag: string }> {
    const { size } = await stat(path);
    // S3 allows 10,000 parts: grow the part size for files beyond 80 GiB, never below S3's 5 MiB minimum.
    const partSize = Math.max(8 * MiB, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    const upload = new Upload({
      client: this.client,
      queueSize: QUEUE_SIZE,
      partSize,
      leavePartsOnError: false,
      params: {
        ...this.writeParams(key, options),
        Body: createReadStream(path, { highWaterMark: MiB }),
        ContentLength: size,
        // lib-storage sends the conditions with the PutObject, or the CompleteMultipartUpload of a large file.
        IfNoneMatch: options.ifNoneMatch,
        IfMatch: options.ifMatch,
        ...(this.checksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
      },
    });
    upload.on('httpUploadProgress', (progress) => options.onProgress?.(progress.loaded ?? 0, size));
    const onAbort = () => void upload.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await this.conditional(key, () => upload.done());
      return { etag: result.ETag ?? '' };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const result = await ifMissing(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) })));
    if (!result?.Body) return undefined;
    const body = Buffer.from(await result.Body.transformToByteArray());
    return { key, size: body.length, etag: result.ETag ?? '', metadata: result.Metadata ?? {}, body };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const result = await ifMissing(() => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) })));
    if (!result) return undefined;
    return { key, size: result.ContentLength ?? 0, etag: result.ETag ?? '', metadata: result.Metadata ?? {} };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.keyOf(prefix) })) {
      for (const object of page.Contents ?? []) keys.push(object.Key!.slice(this.prefix.length));
    }
    return keys.sort();
  }

  private writeParams(key: string, options: PutOptions) {
    return {
      Bucket: this.bucket,
      Key: this.keyOf(key),
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      Metadata: options.metadata,
    };
  }

  private keyOf(key: string): string {
    return this.prefix + key;
  }

  /** S3 answers a lost condition with 412 (or 409 when two conditional writes race). */
  private async conditional<T>(key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const status = (error as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 412 || (status === 409 && (error as Error).name === 'ConditionalRequestConflict')) {
        throw new PreconditionFailedError(key);
      }
      throw error;
    }
  }
}

async function ifMissing<T>(send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    const status = (error as S3ServiceException).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw error;
  }
}
