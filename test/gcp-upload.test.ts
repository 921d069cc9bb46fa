import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { configSchema } from '../config/schema.js';
import { parseVersion } from '../discovery/version.js';
import { openJournal } from '../pipeline/journal.js';
import { createLogger } from '../pipeline/logger.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { loadUploader } from '../steps/upload/registry.js';
import type { UploadContext } from '../steps/upload/uploader.js';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';
import { RetryCounts } from '../pipeline/retry.js';

const run = promisify(execFile);
const TOKEN = 'ya29.test-token';
const PROJECT = 'osimage-test-project';
const BUCKET = 'osimage-test-images';
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const VERSION = 'v2.3.0-pre-debug';
const UID = `${VERSION}-${COMMIT}`;
const MiB = 1024 * 1024;

const INSERTS = /\/global\/images$/;
const UPLOADS = /^\/upload\/storage\/v1\/b\/[^/]+\/o$/;

describe('GCP upload step against the GCS and GCE fakes', () => {
  let dir: string;
  let imagePath: string;
  let imageBytes: Buffer;
  let gcs: FakeGcs;
  let gce: FakeGce;
  let stateDir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-gcp-'));
    imagePath = join(dir, 'gcp.raw');
    // 3 MiB, mostly holes: a partition table at the start and some data at the very end.
    await (await open(imagePath, 'w')).close();
    await truncate(imagePath, 3 * MiB);
    const file = await open(imagePath, 'r+');
    await file.write(randomBytes(20_000), 0, 20_000, 0);
    await file.write(randomBytes(8192), 0, 8192, 3 * MiB - 8192);
    await file.close();
    imageBytes = await readFile(imagePath);
    process.env.OSIMAGE_TEST_GCP_TOKEN = TOKEN;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    gcs = new FakeGcs(TOKEN, [BUCKET]);
    await gcs.start();
    gce = new FakeGce({ token: TOKEN, projects: [PROJECT], storageBaseUrl: gcs.baseUrl });
    await gce.start();
    stateDir = await mkdtemp(join(dir, 'state-'));
  });
  afterEach(async () => {
    await gce.stop();
    await gcs.stop();
  });

  /** An UploadContext built by hand, with the real journal in a FileStore; a new journal when `fresh`. */
  async function context(gcp: Record<string, unknown> = {}, journalDir = stateDir): Promise<UploadContext> {
    const config = configSchema.parse({
      store: { url: `file://${join(dir, 'store')}` },
      publicBaseUrl: 'https://cdn.example.com',
      signing: { development: true },
      gcp: {
        project: PROJECT,
        bucket: BUCKET,
        family: 'osimage-debug',
        public: true,
        endpoints: { storage: gcs.baseUrl, compute: gce.baseUrl },
        accessToken: 'env:OSIMAGE_TEST_GCP_TOKEN',
        ...gcp,
      },
    });
    const store = new FileStore(journalDir);
    return {
      uid: UID,
      version: parseVersion(VERSION),
      commit: COMMIT,
      csp: 'gcp',
      image: { path: imagePath, size: imageBytes.length, digest: createHash('sha256').update(imageBytes).digest('hex') },
      config,
      log: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      warnings: [],
      retries: new RetryCounts(),
      journal: await openJournal(store, UID, 'gcp'),
      store,
    };
  }

  async function upload(ctx?: UploadContext): Promise<unknown> {
    return (await loadUploader('gcp')).upload(ctx ?? (await context()));
  }

  function assertOneGoodImage(): string {
    const names = gce.imageNames(PROJECT);
    assert.equal(names.length, 1, `images: ${names.join(', ')}`);
    const image = gce.image(PROJECT, names[0]!)!;
    assert.equal(image.status, 'READY');
    return names[0]!;
  }

  it('imports the image, makes it public, deletes the blob and returns one reference per security type', async () => {
    const references = (await upload()) as Record<string, string>;
    const name = assertOneGoodImage();
    assert.deepEqual(references, {
      'sev-es': `projects/${PROJECT}/global/images/${name}`,
      'sev-snp': `projects/${PROJECT}/global/images/${name}`,
    });
    const image = gce.image(PROJECT, name)!;
    assert.equal(image.family, 'osimage-debug');
    assert.equal(image.architecture, 'X86_64');
    assert.equal(image.diskSizeGb, '1', 'the 3 MiB image is padded to a whole GiB');
    assert.deepEqual(
      (image.guestOsFeatures as Array<{ type: string }>).map((feature) => feature.type).sort(),
      ['GVNIC', 'SEV_CAPABLE', 'SEV_SNP_CAPABLE', 'UEFI_COMPATIBLE', 'VIRTIO_SCSI_MULTIQUEUE'],
    );
    assert.deepEqual(image.labels, { 'osimage-uid': UID.replaceAll('.', '_'), 'osimage-version': 'v2_3_0-pre-debug', 'osimage-commit': COMMIT });
    assert.deepEqual(gce.policy(PROJECT, name)?.bindings, [{ role: 'roles/compute.imageUser', members: ['allAuthenticatedUsers'] }]);
    assert.deepEqual(gcs.objectNames(BUCKET), [], 'the blob is deleted after success');
  });

  it('uploads an archive that GNU tar extracts to the image, padded to a whole GiB', async () => {
    // Keep the blob: its deletion fails once, and the step fails with it.
    gcs.failNext('DELETE', /\/o\//, 403, 'Access denied.');
    await assert.rejects(upload(), /Access denied/);
    const blob = gcs.object(BUCKET, `osimage/${UID}/disk.tar.gz`);
    assert.ok(blob, 'the blob is still there');
    assert.equal(blob.metadata['osimage-uid'], UID);
    const archive = join(dir, 'blob.tar.gz');
    await writeFile(archive, blob.data);
    assert.match((await run('tar', ['-tvf', archive])).stdout, /\s1073741824\s.*disk\.raw/);
    const out = await mkdtemp(join(dir, 'extract-'));
    await run('tar', ['-xSf', archive, '-C', out]);
    const extracted = join(out, 'disk.raw');
    assert.equal((await stat(extracted)).size, 2 ** 30);
    await run('cmp', ['-n', String(imageBytes.length), extracted, imagePath]);
    await rm(out, { recursive: true });
  });

  it('fails when the import operation ends DONE with an error, and a rerun replaces the failed image', async () => {
    gce.failNextImport('Invalid image file: the disk is not bootable.');
    await assert.rejects(upload(), (error: Error & { exitCode?: number }) => {
      assert.match(error.message, /Invalid image file: the disk is not bootable\./);
      assert.equal(error.exitCode, 1);
      return true;
    });
    assert.equal(gce.image(PROJECT, gce.imageNames(PROJECT)[0]!)?.status, 'FAILED');
    const plan = await (await loadUploader('gcp')).plan(await context());
    assert.match(plan.writes.join('\n'), /images\.delete .*failed\)\n.*images\.insert/);
    assert.ok(plan.checks.some((check) => /reuse gs:.*packed from this image/.test(check)), plan.checks.join('\n'));
    await upload();
    assertOneGoodImage();
    assert.equal(gce.count('POST', INSERTS), 2, 'imported again');
    assert.equal(gce.count('DELETE', /\/global\/images\//), 1, 'the failed image was deleted');
    assert.equal(gcs.count('POST', UPLOADS), 1, 'the journalled blob was reused, not uploaded again');
  });

  it('fails when GCS stored other bytes than were sent (the client checks the CRC32C), and a rerun uploads again', async () => {
    gcs.corruptNextUpload();
    await assert.rejects(upload(), /CRC32C|did not match/i);
    assert.equal(gce.count('POST', INSERTS), 0, 'nothing is imported from a corrupt blob');
    await upload();
    assertOneGoodImage();
    assert.equal(gcs.count('POST', UPLOADS), 2);
  });

  const failures: Array<{ step: string; inject: () => void; uploads: number; inserts: number }> = [
    { step: 'the upload', inject: () => gcs.failNext('POST', UPLOADS, 403, 'The caller does not have storage.objects.create access.'), uploads: 2, inserts: 1 },
    { step: 'the images.insert request', inject: () => gce.failNext('POST', INSERTS, 403, "Required 'compute.images.create' permission"), uploads: 1, inserts: 2 },
    { step: 'setIamPolicy', inject: () => gce.failNext('POST', /setIamPolicy$/, 403, "Required 'compute.images.setIamPolicy' permission"), uploads: 1, inserts: 1 },
    { step: 'the blob deletion', inject: () => gcs.failNext('DELETE', /\/o\//, 403, 'Access denied.'), uploads: 1, inserts: 1 },
  ];
  for (const failure of failures) {
    it(`a rerun after a failure of ${failure.step} finishes without duplicates`, async () => {
      failure.inject();
      await assert.rejects(upload());
      const references = await upload();
      const name = assertOneGoodImage();
      assert.deepEqual(references, { 'sev-es': `projects/${PROJECT}/global/images/${name}`, 'sev-snp': `projects/${PROJECT}/global/images/${name}` });
      // Counted as requests that reached the service, the failed one included.
      assert.equal(gcs.count('POST', UPLOADS), failure.uploads);
      assert.equal(gce.count('POST', INSERTS), failure.inserts);
      assert.deepEqual(gce.policy(PROJECT, name)?.bindings, [{ role: 'roles/compute.imageUser', members: ['allAuthenticatedUsers'] }]);
      assert.deepEqual(gcs.objectNames(BUCKET), []);
    });
  }

  it('a rerun with the journal done writes nothing', async () => {
    await upload();
    const writes = () => [...gce.requests, ...gcs.requests].filter((line) => /^(POST|PUT|DELETE) /.test(line) && !line.endsWith('/wait')).length;
    const before = writes();
    await upload();
    assert.equal(writes(), before);
  });

  it('without the journal (lost, or a crash before it was written) adopts the image and its public binding', async () => {
    await upload();
    await upload(await context({}, await mkdtemp(join(dir, 'other-state-'))));
    assertOneGoodImage();
    assert.equal(gce.count('POST', INSERTS), 1);
    assert.equal(gce.count('POST', /setIamPolicy$/), 1);
  });

  it('replaces a stale blob under its name, and adopts a blob of this image left by a failed run', async () => {
    const object = `osimage/${UID}/disk.tar.gz`;
    gcs.seed(BUCKET, object, Buffer.from('left over by a run of another image'), { 'osimage-uid': UID, 'osimage-source-size': '1' });
    gce.failNext('POST', INSERTS, 403, "Required 'compute.images.create' permission");
    await assert.rejects(upload());
    const uploaded = gcs.object(BUCKET, object)!;
    assert.equal(uploaded.metadata['osimage-source-size'], String(imageBytes.length), 'the stale blob was replaced');
    // A new journal: the blob is found by its identity, not by the journal.
    await upload(await context({}, await mkdtemp(join(dir, 'other-state-'))));
    assertOneGoodImage();
    assert.equal(gcs.count('POST', UPLOADS), 1);
  });

  it('refuses an image of its name that another uid made', async () => {
    const name = (await (await loadUploader('gcp')).plan(await context())).reference as Record<string, string>;
    const imageName = name['sev-es']!.split('/').at(-1)!;
    gce.seedImage(PROJECT, { name: imageName, labels: { 'osimage-uid': 'v9_9_9' } });
    await assert.rejects(upload(), (error: Error & { exitCode?: number }) => error.exitCode === 3 && /not made by this uid/.test(error.message));
    assert.equal(gce.count('POST', INSERTS), 0);
  });

  it('plans without writing: checks, then the writes a run would make; after a run, nothing but reuse', async () => {
    const uploader = await loadUploader('gcp');
    const plan = await uploader.plan(await context());
    assert.ok(plan.checks.some((check) => check.includes(`gs://${BUCKET}`)));
    assert.ok(plan.checks.some((check) => check.includes('is free')));
    assert.equal(plan.writes.length, 4, plan.writes.join('\n'));
    assert.match(plan.writes.join('\n'), /upload gs:.*\n.*images.insert.*SEV_SNP_CAPABLE.*\n.*setIamPolicy.*\n.*delete gs:/);
    assert.deepEqual([...gcs.requests, ...gce.requests].filter((line) => !line.startsWith('GET ')), []);
    await upload();
    const replan = await uploader.plan(await context());
    assert.deepEqual(replan.writes, []);
    assert.ok(replan.checks.some((check) => check.includes('will be reused')));
    assert.deepEqual(replan.reference, plan.reference);
  });

  it('says clearly when the bucket or the config section is missing, or the token is not set', async () => {
    const uploader = await loadUploader('gcp');
    await assert.rejects(uploader.plan(await context({ bucket: 'no-such-bucket' })), (error: Error & { exitCode?: number }) =>
      error.exitCode === 2 && /no-such-bucket.*does not exist/.test(error.message),
    );
    const ctx = await context();
    await assert.rejects(uploader.upload({ ...ctx, config: { ...ctx.config, gcp: undefined } }), /no gcp: section/);
    await assert.rejects(uploader.plan(await context({ accessToken: 'env:OSIMAGE_TEST_GCP_UNSET' })), (error: Error) =>
      /OSIMAGE_TEST_GCP_UNSET/.test(error.message) && !error.message.includes(TOKEN),
    );
  });

  it('sends only the configured security types, family-less when none is set', async () => {
    const references = await upload(await context({ securityTypes: ['sev-snp'], family: undefined, public: false }));
    const name = assertOneGoodImage();
    assert.deepEqual(references, { 'sev-snp': `projects/${PROJECT}/global/images/${name}` });
    const image = gce.image(PROJECT, name)!;
    assert.equal(image.family, undefined);
    assert.ok(!(image.guestOsFeatures as Array<{ type: string }>).some((feature) => feature.type === 'SEV_CAPABLE'));
    assert.equal(gce.policy(PROJECT, name), undefined, 'not public');
  });
});
