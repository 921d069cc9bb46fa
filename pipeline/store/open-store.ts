import type { Config } from '../../config/schema.js';
import { FileStore } from './file-store.js';
import type { ObjectStore } from './object-store.js';

/** The store a config names; the S3 SDK is loaded only for s3:// stores. */
export async function openStore(store: Config['store']): Promise<ObjectStore> {
  if (store.url.startsWith('file://')) return FileStore.open(FileStore.fromUrl(store.url).root);
  const { S3Store } = await import('./s3-store.js');
  return new S3Store({
    ...S3Store.parseUrl(store.url),
    region: store.region,
    endpoint: store.endpoint,
    forcePathStyle: store.forcePathStyle,
    checksums: store.checksums,
  });
}
