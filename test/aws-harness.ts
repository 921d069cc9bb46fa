import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { configSchema, type ConfigInput } from '../config/schema.js';
import { parseVersion } from '../discovery/version.js';
import { openJournal } from '../pipeline/journal.js';
import { FileStore } from '../pipeline/store/file-store.js';
import type { UploadContext } from '../steps/upload/uploader.js';
import { FakeEc2, type FakeEc2Options } from './fakes/ec2/server.js';
import { startS3Server, type S3Server } from './support/s3rver.js';
import { RetryCounts } from '../pipeline/retry.js';

/** Shared set-up of the AWS step's tests: s3rver for the import bucket, the fake EC2, a raw image, a context. */

export const BUCKET = 'import-bucket';
export const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const MiB = 1024 * 1024;

export interface AwsWorld {
  s3: S3Server;
  dir: string;
  image: { path: string; size: number; sha256: string };
  close(): Promise<void>;
}

/** s3rver and a sparse raw image (1 MiB of data in 3 MiB) shared by the tests of a file. */
export async function startAwsWorld(): Promise<AwsWorld> {
  const s3 = await startS3Server([BUCKET]);
  // The SDK's default credential chain reads these, as it reads a CI role's in production.
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  const dir = await mkdtemp(join(tmpdir(), 'aws-test-'));
  const path = join(dir, 'aws.raw');
  await writeFile(path, randomBytes(MiB));
  await truncate(path, 3 * MiB);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return {
    s3,
    dir,
    image: { path, size: 3 * MiB, sha256 },
    async close() {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function startEc2(world: AwsWorld, options: Partial<FakeEc2Options> = {}): Promise<FakeEc2> {
  return FakeEc2.start({ s3: { endpoint: world.s3.endpoint, credentials: world.s3.credentials }, ...options });
}

type AwsInput = NonNullable<ConfigInput['aws']>;

/** The aws section a user would write to point the step at the local servers. */
export function awsSection(world: AwsWorld, ec2: FakeEc2, overrides: Partial<AwsInput> = {}): AwsInput {
  const regions = (overrides.regions ?? ['us-east-1', 'us-west-2', 'eu-west-1']).map((region) =>
    typeof region === 'string' ? { name: region, ec2Endpoint: ec2.endpoint } : { ec2Endpoint: ec2.endpoint, ...region },
  );
  return {
    import: { region: 'us-east-1', bucket: BUCKET, s3Endpoint: world.s3.endpoint, forcePathStyle: true, checksums: false },
    timeouts: { pollSeconds: 0.01, importMinutes: 1, availableMinutes: 1 },
    ...overrides,
    regions,
  };
}

export interface TestContext extends UploadContext {
  /** Every log line, parsed. */
  lines: Record<string, unknown>[];
}

/** An UploadContext as the pipeline builds it: the real journal in a file store, a pino logger into memory. */
export async function uploadContext(world: AwsWorld, aws: AwsInput, uid: string, journalDir?: string): Promise<TestContext> {
  const config = configSchema.parse({ store: { url: `file://${world.dir}/store` }, publicBaseUrl: 'https://example.com', signing: { development: true }, aws });
  const store = new FileStore(journalDir ?? (await mkdtemp(join(world.dir, 'journal-'))));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const version = uid.startsWith('v') && !uid.includes('-pre-') ? uid : uid.slice(0, uid.length - COMMIT.length - 1);
  return {
    uid,
    version: parseVersion(version),
    commit: COMMIT,
    csp: 'aws',
    image: { path: world.image.path, size: world.image.size, digest: world.image.sha256 },
    config,
    log: pino({ level: 'debug', base: undefined }, sink),
    signal: new AbortController().signal,
    warnings: [],
    retries: new RetryCounts(),
    journal: await openJournal(store, uid, 'aws'),
    store,
    lines,
  };
}

/** A fresh context on the same journal: what a second `osimage upload` after a failure sees. */
export async function rerunContext(world: AwsWorld, previous: TestContext, aws: AwsInput): Promise<TestContext> {
  return uploadContext(world, aws, previous.uid, (previous.store as FileStore).root);
}
