import { z } from 'zod';
import { awsConfig } from './aws.js';
import { azureConfig } from './azure.js';
import { gcpConfig } from './gcp.js';
import { PUBLIC_BASE_URL, PUBLIC_BASE_URL_MESSAGE, REPOSITORY_MESSAGE } from './discovery-settings.js';
import { measureConfig } from './measure.js';
import { qemuConfig } from './qemu.js';
import { signingConfig } from './signing.js';

/** Where consumers read the store from; QEMU image URLs are built from it. The rules of discovery-settings.ts. */
const publicBaseUrl = z
  .string()
  .regex(PUBLIC_BASE_URL, PUBLIC_BASE_URL_MESSAGE)
  .describe('the URL consumers read the store from; QEMU image URLs are built from it');

/** The RFC's user-managed repository: lookup tables for images a user uploaded to their own accounts. */
const repository = z
  .url(REPOSITORY_MESSAGE)
  .optional()
  .describe('discovery reads lookup tables from this user-managed repository instead of publicBaseUrl');

const csp = z.enum(['aws', 'azure', 'gcp', 'qemu']);
const imagesByCsp = z.partialRecord(csp, z.string().min(1));

/** Where published files go: `file://<dir>` (relative to the working directory) or `s3://<bucket>[/<prefix>]`. */
const storeConfig = z.strictObject({
  url: z.string().regex(/^(file|s3):\/\/.+/, 'expected file://<directory> or s3://<bucket>[/<prefix>]'),
  region: z.string().min(1).optional().describe('S3 region of the bucket'),
  endpoint: z.url().optional().describe('S3-compatible endpoint, e.g. http://127.0.0.1:4568'),
  forcePathStyle: z.boolean().default(false).describe('path-style addressing, which most S3-compatible servers need'),
  checksums: z.boolean().default(true).describe('SHA-256 checksums on uploads; false for S3-compatible servers without them'),
});

export const configSchema = z.strictObject({
  store: storeConfig,
  publicBaseUrl,
  repository,
  stateDir: z.string().min(1).default('.osimage/state').describe('local state: the journal and the development key'),
  journal: z.enum(['local', 'store']).default('local').describe('keep the journal on disk or in the store'),
  concurrency: z.strictObject({ clouds: z.int().min(1).max(16).default(4) }).prefault({}),
  build: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1).describe('argv of the image build command'),
      cwd: z.string().optional(),
      timeoutMinutes: z.number().positive().default(120),
      images: imagesByCsp.describe('where the build leaves the raw image of each csp'),
    })
    .optional(),
  images: imagesByCsp.default({}).describe('raw images to publish when there is no build command'),
  signing: signingConfig,
  measure: measureConfig.prefault({}),
  qemu: qemuConfig.optional(),
  aws: awsConfig.optional(),
  azure: azureConfig.optional(),
  gcp: gcpConfig.optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
