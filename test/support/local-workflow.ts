import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSampleImage } from '../../scripts/make-sample-image.js';
import { S3Store } from '../../pipeline/store/s3-store.js';
import { OSIMAGE } from './cli.js';
import { FakeEc2 } from '../fakes/ec2/server.js';
import { startMotoServer } from './moto.js';
import type { S3Server } from './s3rver.js';
import type { LocalRun } from './workflow-runner.js';
import { workdir } from './workdir.js';

/** The local servers the workflow's legs talk to. */
export interface LocalClouds {
  s3: S3Server;
  ec2: FakeEc2;
  close(): Promise<void>;
}

export async function startLocalClouds(): Promise<LocalClouds> {
  const s3 = await startMotoServer(['releases', 'import-bucket']);
  const ec2 = await FakeEc2.start({ s3: { endpoint: s3.endpoint, credentials: s3.credentials }, importPolls: 1, imagePolls: 1 });
  return {
    s3,
    ec2,
    async close() {
      await ec2.close();
      await s3.close();
    },
  };
}

/**
 * The matrix legs the workflow tests run, each with its section of the release config pointing at the local servers.
 * A leg for another cloud is one more entry here once its fake exists.
 */
export const LEGS: Record<string, (clouds: LocalClouds) => string> = {
  aws: ({ s3, ec2 }) =>
    `aws:\n  import: { region: us-east-1, bucket: import-bucket, s3Endpoint: ${s3.endpoint}, forcePathStyle: true }\n` +
    `  regions: [{ name: us-east-1, ec2Endpoint: ${ec2.endpoint} }, { name: us-west-2, ec2Endpoint: ${ec2.endpoint} }]\n` +
    '  timeouts: { pollSeconds: 0.01, importMinutes: 1, availableMinutes: 1 }',
  qemu: () => 'qemu: {}',
};

export const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
export const VERSION = 'v2.3.0-pre-ci';
export const UID = `${VERSION}-${COMMIT}`;
export const PUBLIC = 'https://cdn.example.com';

/** The release's signing key, handed to the workflow as its OSIMAGE_SIGNING_KEY secret, and its public half. */
export function signingKeys(): { privateKey: string; publicKey: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * A local stand-in for the repository and its GitHub settings: the dispatch form, the secret, the variables, and a
 * release config whose store is s3rver under `prefix`.
 */
export async function localRun(clouds: LocalClouds, signingKey: string, prefix: string, inputs: Partial<LocalRun['inputs']> = {}): Promise<LocalRun> {
  const { s3 } = clouds;
  const root = await workdir();
  const binDir = join(root, 'bin');
  await mkdir(binDir);
  await symlink(OSIMAGE, join(binDir, 'osimage'));
  const releaseConfig = join(root, 'release.yaml');
  await writeFile(
    releaseConfig,
    `store:\n  url: s3://releases/${prefix}\n  endpoint: ${s3.endpoint}\n  forcePathStyle: true\n` +
      `publicBaseUrl: ${PUBLIC}\nstateDir: .osimage/state\njournal: store\nsigning:\n  key: env:OSIMAGE_SIGNING_KEY\n` +
      `${Object.values(LEGS).map((section) => section(clouds)).join('\n')}\n`,
  );
  return {
    inputs: { version: VERSION, commit: COMMIT, clouds: Object.keys(LEGS).join(','), 'build-run-id': '', 'dry-run': false, ...inputs },
    github: { sha: '0000000000000000000000000000000000000000', token: 'github-token' },
    secrets: { OSIMAGE_SIGNING_KEY: signingKey },
    vars: {
      AWS_REGION: 'us-east-1',
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/osimage-import',
      OSIMAGE_STORE_ROLE_ARN: 'arn:aws:iam::111122223333:role/osimage-store',
      AZURE_CLIENT_ID: 'client', AZURE_TENANT_ID: 'tenant', AZURE_SUBSCRIPTION_ID: 'subscription',
      GCP_WORKLOAD_IDENTITY_PROVIDER: 'projects/1/locations/global/workloadIdentityPools/github/providers/github',
      GCP_SERVICE_ACCOUNT: 'osimage@project.iam.gserviceaccount.com',
      OSIMAGE_PUBLIC_BASE_URL: PUBLIC,
    },
    legs: Object.keys(LEGS),
    root,
    releaseConfig,
    binDir,
    // What configure-aws-credentials would export: here, the credentials s3rver checks.
    awsCredentials: { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey },
    // The image build is not osimage's: the leg finds the sample image where the workflow's IMAGE says.
    prepareLeg: async (dir, env) => {
      assert.ok(env.IMAGE, 'the upload job names its raw image in env.IMAGE');
      await writeSampleImage(join(dir, env.IMAGE), { sizeMiB: 20 });
    },
  };
}

/** The store a local run published to, read with the test process's own (s3rver) credentials. */
export function storeAt(s3: S3Server, prefix: string): S3Store {
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  return new S3Store({ bucket: 'releases', prefix, endpoint: s3.endpoint, forcePathStyle: true });
}
