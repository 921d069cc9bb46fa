/**
 * The object store the pipeline publishes to and may keep its journal in: one interface, an S3 adapter and a
 * `file://` adapter (DESIGN.md "Published files"). Keys are `/`-separated and relative to the store's root.
 */
export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  /** Provenance (version, commit, time, tool version) travels as object metadata. */
  metadata?: Record<string, string>;
  /** `'*'`: create only; fails with PreconditionFailedError when the key exists. */
  ifNoneMatch?: '*';
  /** Replace only while the object still has this ETag; fails with PreconditionFailedError otherwise. */
  ifMatch?: string;
}

export interface UploadOptions extends PutOptions {
  /** Called now and then with the bytes sent so far. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  metadata: Record<string, string>;
}

export interface StoredObject extends ObjectInfo {
  body: Buffer;
}

export interface ObjectStore {
  /** Where it is, for logs and plans: `s3://bucket/prefix` or `file:///abs/path`. */
  readonly location: string;
  /** Small objects (lookup tables, measurements, journals). */
  put(key: string, body: string | Uint8Array, options?: PutOptions): Promise<{ etag: string }>;
  /** Streams a file of any size with bounded memory. */
  upload(key: string, path: string, options?: UploadOptions): Promise<{ etag: string }>;
  get(key: string): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Every key under the prefix. */
  list(prefix: string): Promise<string[]>;
}
