import assert from 'node:assert/strict';
import { httpStatus } from '../steps/upload/gcp/clients.js';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { ImagesClient } from '@google-cloud/compute/build/src/v1/images_client.js';
import type { protos } from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
import { OAuth2Client } from 'google-auth-library';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';

const TOKEN = 'ya29.fake-test';

/** The fakes answer the real SDKs as Google does: the behaviour the upload step relies on. */
describe('the GCS and GCE fakes, driven by the real SDKs', () => {
  let gcs: FakeGcs;
  let gce: FakeGce;
  let storage: Storage;
  let images: ImagesClient;
  let operations: GlobalOperationsClient;

  before(async () => {
    gcs = new FakeGcs(TOKEN, ['bucket']);
    await gcs.start();
    gce = new FakeGce({ token: TOKEN, projects: ['project-1'], storageBaseUrl: gcs.baseUrl, stepMs: 50 });
    await gce.start();
    const storageAuth = new OAuth2Client();
    storageAuth.setCredentials({ access_token: TOKEN });
    storage = new Storage({ apiEndpoint: gcs.baseUrl, projectId: 'project-1', authClient: storageAuth, useAuthWithCustomEndpoint: true });
    const computeAuth = new googleAuthLibrary.OAuth2Client();
    computeAuth.setCredentials({ access_token: TOKEN });
    const url = new URL(gce.baseUrl);
    const options = { fallback: true, apiEndpoint: url.hostname, port: Number(url.port), protocol: 'http', authClient: computeAuth };
    images = new ImagesClient(options);
    operations = new GlobalOperationsClient(options);
  });
  after(async () => {
    await images.close();
    await operations.close();
    await gce.stop();
    await gcs.stop();
  });

  it('GCS: a simple (multipart) upload and a chunked resumable upload store the bytes with their checksums', async () => {
    const small = randomBytes(1000);
    await storage.bucket('bucket').file('simple').save(small, { resumable: false, validation: 'md5' });
    assert.ok(gcs.object('bucket', 'simple')?.data.equals(small));
    const big = randomBytes(700 * 1024);
    const file = storage.bucket('bucket').file('dir/resumable');
    const [uri] = await file.createResumableUpload();
    await pipeline(Readable.from([big]), file.createWriteStream({ uri, chunkSize: 256 * 1024, validation: 'crc32c' }));
    assert.ok(gcs.object('bucket', 'dir/resumable')?.data.equals(big));
    assert.ok(gcs.count('PUT', /\/upload\//) >= 3, 'sent in chunks of at most 256 KiB');
    assert.deepEqual((await storage.bucket('bucket').getFiles({ prefix: 'dir/' }))[0].map((entry) => entry.name), ['dir/resumable']);
  });

  it('GCS: the client notices when the stored bytes differ from the sent ones', async () => {
    gcs.corruptNextUpload();
    await assert.rejects(storage.bucket('bucket').file('corrupt').save(randomBytes(1000), { resumable: false, validation: 'md5' }), /did not match|mismatch/i);
  });

  it('GCS: a request without the token is refused', async () => {
    const anonymous = new Storage({ apiEndpoint: gcs.baseUrl, projectId: 'project-1' });
    await assert.rejects(anonymous.bucket('bucket').file('simple').getMetadata(), (error: { code?: number }) => error.code === 401);
  });

  it('GCE: an operation goes PENDING → RUNNING → DONE on its own', async () => {
    gce.seedImage('project-1', { name: 'old' });
    const [lro] = await images.delete({ project: 'project-1', image: 'old' });
    const operation = lro.latestResponse as protos.google.cloud.compute.v1.IOperation;
    const seen = new Set<string>([String(operation.status)]);
    for (let polls = 0; polls < 100 && !seen.has('DONE'); polls++) {
      const [current] = await operations.get({ project: 'project-1', operation: operation.name! });
      seen.add(String(current.status));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual([...seen], ['PENDING', 'RUNNING', 'DONE']);
    assert.deepEqual(gce.imageNames('project-1'), []);
  });

  it('GCE: an import of something that is not a tar.gz with disk.raw ends DONE with an error, and the image FAILED', async () => {
    await storage.bucket('bucket').file('not-a-disk.tar.gz').save(Buffer.from('hello'), { resumable: false });
    const [lro] = await images.insert({
      project: 'project-1',
      imageResource: { name: 'bad', rawDisk: { source: 'https://storage.googleapis.com/bucket/not-a-disk.tar.gz' } },
    });
    const name = (lro.latestResponse as protos.google.cloud.compute.v1.IOperation).name!;
    let [finished] = await operations.wait({ project: 'project-1', operation: name });
    for (let waits = 0; waits < 50 && finished.status !== 'DONE'; waits++) [finished] = await operations.wait({ project: 'project-1', operation: name });
    assert.equal(finished.status, 'DONE');
    assert.match(String(finished.error?.errors?.[0]?.message), /not a gzip file/);
    assert.equal((await images.get({ project: 'project-1', image: 'bad' }))[0].status, 'FAILED');
  });

  it('GCE: setIamPolicy with a stale etag fails with 409', async () => {
    gce.seedImage('project-1', { name: 'shared' });
    const [policy] = await images.getIamPolicy({ project: 'project-1', resource: 'shared' });
    const binding = { role: 'roles/compute.imageUser', members: ['allAuthenticatedUsers'] };
    await images.setIamPolicy({ project: 'project-1', resource: 'shared', globalSetPolicyRequestResource: { policy: { ...policy, bindings: [binding] } } });
    await assert.rejects(
      images.setIamPolicy({ project: 'project-1', resource: 'shared', globalSetPolicyRequestResource: { policy: { ...policy, bindings: [] } } }),
      (error) => httpStatus(error) === 409,
    );
    assert.deepEqual(gce.policy('project-1', 'shared')?.bindings, [binding]);
  });
});
