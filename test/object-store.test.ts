import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PreconditionFailedError } from '../pipeline/errors.js';
import { FileStore } from '../pipeline/store/file-store.js';
import type { ObjectStore } from '../pipeline/store/object-store.js';
import { S3Store } from '../pipeline/store/s3-store.js';
import { startMotoServer } from './support/moto.js';
import type { S3Server } from './support/s3rver.js';

/** The same contract, run against both adapters. */
function contract(name: string, open: () => Promise<ObjectStore>) {
  describe(name, () => {
    let store: ObjectStore;
    let dir: string;
    before(async () => {
      store = await open();
      dir = await mkdtemp(join(tmpdir(), 'store-test-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    test('put, get, head, list and delete', async () => {
      await store.put('images/v1.0.0.json', '{"qemu":"x"}', { contentType: 'application/json', metadata: { commit: 'abc' } });
      await store.put('images/versions.json', '{}');
      const object = await store.get('images/v1.0.0.json');
      assert.equal(object?.body.toString(), '{"qemu":"x"}');
      assert.equal(object?.metadata.commit, 'abc');
      assert.equal((await store.head('images/v1.0.0.json'))?.size, 12);
      assert.deepEqual(await store.list('images/'), ['images/v1.0.0.json', 'images/versions.json']);
      await store.delete('images/versions.json');
      assert.equal(await store.get('images/versions.json'), undefined);
      assert.equal(await store.head('images/versions.json'), undefined);
    });

    test('create-only refuses to overwrite and leaves the object unchanged', async () => {
      await store.put('once.json', 'first', { ifNoneMatch: '*' });
      await assert.rejects(store.put('once.json', 'second', { ifNoneMatch: '*' }), PreconditionFailedError);
      assert.equal((await store.get('once.json'))?.body.toString(), 'first');
    });

    test('replace-if-match succeeds only on the current ETag', async () => {
      const { etag } = await store.put('index.json', 'v1');
      const { etag: second } = await store.put('index.json', 'v2', { ifMatch: etag });
      await assert.rejects(store.put('index.json', 'v3', { ifMatch: etag }), PreconditionFailedError);
      assert.equal((await store.get('index.json'))?.body.toString(), 'v2');
      assert.equal((await store.head('index.json'))?.etag, second);
    });

    test('streams a sparse multi-part file and reports progress', async () => {
      const path = join(dir, 'disk.raw');
      await writeFile(path, Buffer.alloc(1024 * 1024, 7));
      await truncate(path, 20 * 1024 * 1024);
      let last = 0;
      await store.upload('raw/v1/qemu.raw', path, { onProgress: (sent) => (last = sent) });
      const info = await store.head('raw/v1/qemu.raw');
      assert.equal(info?.size, 20 * 1024 * 1024);
      assert.equal(last, 20 * 1024 * 1024);
      const stored = await store.get('raw/v1/qemu.raw');
      assert.ok(stored?.body.equals(await readFile(path)), 'the stored bytes differ from the file');
    });
  });
}

let s3: S3Server;
before(async () => {
  s3 = await startMotoServer(['bucket']);
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
});
after(() => s3.close());

contract('file store', async () => new FileStore(await mkdtemp(join(tmpdir(), 'file-store-'))));
contract('S3 store against an S3 that enforces conditions (moto)', async () =>
  new S3Store({ bucket: 'bucket', prefix: 'osimage', endpoint: s3.endpoint, forcePathStyle: true }));

test('the file store rejects keys that leave its root', async () => {
  const store = new FileStore(await mkdtemp(join(tmpdir(), 'file-store-')));
  await assert.rejects(store.put('../escape', 'x'), /invalid object key/);
  await assert.rejects(store.put('/abs', 'x'), /invalid object key/);
});
