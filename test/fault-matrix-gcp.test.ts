import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '../config/schema.js';
import { parseVersion } from '../discovery/version.js';
import { openJournal } from '../pipeline/journal.js';
import { RetryCounts } from '../pipeline/retry.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { loadUploader } from '../steps/upload/registry.js';
import type { UploadContext } from '../steps/upload/uploader.js';
import type { FaultPlan } from './fakes/faults.js';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';

/**
 * The GCP column of the fault matrix: @google-cloud/storage and @google-cloud/compute against the GCS and GCE fakes,
 * which answer with Google's own error bodies (429 rateLimitExceeded, 503 backendError), drop connections and
 * answer slowly. Each run must complete, import one image from one intact archive, and count its retries.
 */
const TOKEN = 'ya29.fault-matrix';
const PROJECT = 'osimage-faults';
const BUCKET = 'osimage-faults-images';
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const VERSION = 'v2.3.0-pre-faults';
const UID = `${VERSION}-${COMMIT}`;
const MiB = 1024 * 1024;
const RETRY = { maxAttempts: 8, maxSeconds: 60, maxDelaySeconds: 0.05 };

let dir: string;
let imagePath: string;
let digest: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osimage-gcp-faults-'));
  imagePath = join(dir, 'gcp.raw');
  await (await open(imagePath, 'w')).close();
  await truncate(imagePath, 3 * MiB);
  const file = await open(imagePath, 'r+');
  // Random data does not compress: the archive is a few hundred KiB, so a dropped chunk loses real bytes.
  await file.write(randomBytes(600_000), 0, 600_000, 0);
  await file.close();
  digest = createHash('sha256').update(await readFile(imagePath)).digest('hex');
  process.env.OSIMAGE_FAULTS_GCP_TOKEN = TOKEN;
});
after(() => rm(dir, { recursive: true, force: true }));

const chunk: FaultPlan['match'] = (request) => request.method === 'PUT' && request.path.startsWith('/upload/');
/**
 * The first data chunk: a write stream on a session the step created first asks where to start (a PUT of
 * `Content-Range: bytes *\/*`), so the data goes in the second PUT to the session.
 */
const DROPPED_CHUNK: FaultPlan = { kind: 'reset', match: chunk, every: 2, times: 1 };
const route = (method: string, path: RegExp): FaultPlan['match'] => (request) => request.method === method && path.test(request.path);
const INSERT = route('POST', /\/global\/images$/);

/**
 * `uncounted`: retries the summary cannot see. When a GCS JSON-API request gets no answer at all, retry-request (the
 * SDK's transport) repeats it on its own, without asking the retry hook; the resumable upload's retries it does report.
 */
const SCENARIOS: Array<{ name: string; gcs: FaultPlan[]; gce: FaultPlan[]; uncounted?: number }> = [
  {
    name: 'throttling (429 rateLimitExceeded) on every 3rd request',
    gcs: [{ kind: 'throttle', every: 3 }],
    gce: [{ kind: 'throttle', every: 3 }],
  },
  {
    name: 'a burst of five 503 backendError on an upload chunk, images.insert, operations.wait and getIamPolicy',
    gcs: [{ kind: 'unavailable', times: 5, match: chunk }],
    gce: [INSERT, route('POST', /\/wait$/), route('GET', /getIamPolicy$/)].map((match) => ({ kind: 'unavailable', times: 5, match })),
  },
  {
    name: 'a connection dropped in the middle of an upload chunk, and answers lost after images.insert, setIamPolicy and the blob delete',
    gcs: [DROPPED_CHUNK, { kind: 'reset', match: route('DELETE', /\/o\//) }],
    gce: [{ kind: 'reset', match: INSERT }, { kind: 'reset', match: route('POST', /setIamPolicy$/) }],
    uncounted: 1,
  },
  {
    name: 'answers that take 2 seconds',
    gcs: [{ kind: 'slow', delayMs: 2_000, match: chunk }],
    gce: [{ kind: 'slow', delayMs: 2_000, match: route('GET', /\/global\/images\/[^/]+$/) }],
  },
];

for (const scenario of SCENARIOS) {
  test(`gcp survives ${scenario.name}`, async () => {
    const gcs = new FakeGcs(TOKEN, [BUCKET]);
    await gcs.start();
    const gce = new FakeGce({ token: TOKEN, projects: [PROJECT], storageBaseUrl: gcs.baseUrl });
    await gce.start();
    try {
      for (const plan of scenario.gcs) gcs.faults.add(plan);
      for (const plan of scenario.gce) gce.faults.add(plan);
      const { ctx, lines } = await context(gcs, gce);

      const references = (await (await loadUploader('gcp')).upload(ctx)) as Record<string, string>;

      const names = gce.imageNames(PROJECT);
      assert.equal(names.length, 1, 'one image');
      const image = gce.image(PROJECT, names[0]!)!;
      assert.equal(image.status, 'READY', 'imported from an intact archive (GCE read it as a tar.gz of disk.raw)');
      assert.equal(image.diskSizeGb, '1');
      assert.deepEqual(references, { 'sev-es': `projects/${PROJECT}/global/images/${names[0]}`, 'sev-snp': `projects/${PROJECT}/global/images/${names[0]}` });
      assert.deepEqual(gce.policy(PROJECT, names[0]!)?.bindings, [{ role: 'roles/compute.imageUser', members: ['allAuthenticatedUsers'] }]);
      assert.deepEqual(gcs.objectNames(BUCKET), [], 'the blob is deleted');
      const injected = (faults: FakeGcs['faults']) => faults.injected.throttle + faults.injected.unavailable + faults.injected.reset;
      const expected = injected(gcs.faults) + injected(gce.faults) - (scenario.uncounted ?? 0);
      if (scenario.name.startsWith('answers that take')) assert.equal(gcs.faults.injected.slow + gce.faults.injected.slow, 2, 'the slow answers happened');
      else assert.ok(expected > 0, 'the faults happened');
      assert.equal(ctx.retries.of('gcp'), expected, 'each injected fault cost exactly one retry, counted for the summary');
      assert.equal(lines.filter((line) => line.level === 20 && (line.retry as { scope?: string } | undefined)?.scope === 'gcp').length, expected, 'each retry is logged at debug');
    } finally {
      await gce.stop();
      await gcs.stop();
    }
  });
}

test('a chunk whose connection dropped is resumed from what GCS has, not started over', async () => {
  const gcs = new FakeGcs(TOKEN, [BUCKET]);
  await gcs.start();
  const gce = new FakeGce({ token: TOKEN, projects: [PROJECT], storageBaseUrl: gcs.baseUrl });
  await gce.start();
  try {
    gcs.faults.add(DROPPED_CHUNK);
    const { ctx } = await context(gcs, gce);
    await (await loadUploader('gcp')).upload(ctx);
    const sessions = gcs.requests.filter((line) => line.startsWith('POST /upload/'));
    assert.equal(sessions.length, 1, 'one upload session');
    const puts = gcs.requests.filter((line) => line.startsWith('PUT /upload/'));
    // Where to start, the dropped chunk (GCS kept half), where to go on, and the rest from there.
    assert.equal(puts.length, 4, puts.join('\n'));
    assert.equal(gce.imageNames(PROJECT).length, 1);
  } finally {
    await gce.stop();
    await gcs.stop();
  }
});

async function context(gcs: FakeGcs, gce: FakeGce): Promise<{ ctx: UploadContext; lines: Record<string, unknown>[] }> {
  const config = configSchema.parse({
    store: { url: `file://${join(dir, 'store')}` },
    publicBaseUrl: 'https://cdn.example.com',
    signing: { development: true },
    gcp: {
      project: PROJECT,
      bucket: BUCKET,
      public: true,
      retry: RETRY,
      endpoints: { storage: gcs.baseUrl, compute: gce.baseUrl },
      accessToken: 'env:OSIMAGE_FAULTS_GCP_TOKEN',
    },
  });
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(data: Buffer, _encoding, done) {
      for (const line of data.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const store = new FileStore(await mkdtemp(join(dir, 'state-')));
  const ctx: UploadContext = {
    uid: UID,
    version: parseVersion(VERSION),
    commit: COMMIT,
    csp: 'gcp',
    image: { path: imagePath, size: 3 * MiB, digest },
    config,
    log: pino({ level: 'debug', base: undefined }, sink),
    signal: new AbortController().signal,
    warnings: [],
    retries: new RetryCounts(),
    journal: await openJournal(store, UID, 'gcp'),
    store,
  };
  return { ctx, lines };
}
