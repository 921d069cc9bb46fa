import { z } from 'zod';
import { retryConfig } from './retry.js';
import { secretRef } from './secret.js';

/** GCE resource names: a lower-case letter, then letters, digits and hyphens, not ending in a hyphen. */
const gceName = z
  .string()
  .max(63)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'expected a GCE name: lower-case letters, digits and hyphens, starting with a letter');

const endpoint = z.url({ protocol: /^https?$/ }).describe('a sandbox or private endpoint, e.g. http://127.0.0.1:4443');

const certificateFiles = z.array(z.string().min(1)).min(1);

/**
 * The `gcp:` section. One GCE image carries SEV_CAPABLE and SEV_SNP_CAPABLE for every configured security type:
 * the pipeline builds one raw image (and one set of measurements) per csp, so images per security type would be
 * copies of the same bytes that cost an upload, an import and storage each.
 */
export const gcpConfig = z.strictObject({
  project: z
    .string()
    .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'expected a GCP project id, e.g. my-project-123')
    .describe('the project that owns the images'),
  bucket: z.string().min(3).max(222).describe('GCS bucket for the temporary tar.gz the image is imported from'),
  family: gceName.optional().describe('image family: consumers can ask GCE for the newest image of it'),
  namePrefix: z
    .string()
    .regex(/^[a-z][-a-z0-9]{0,19}$/, 'expected up to 20 lower-case letters, digits and hyphens, starting with a letter')
    .default('osimage')
    .describe('image names are <namePrefix>-<uid, made GCE-safe>'),
  securityTypes: z
    .array(z.enum(['sev-es', 'sev-snp']))
    .min(1)
    .default(['sev-es', 'sev-snp'])
    .describe('lookup-table entries; all point at one image that supports each type'),
  public: z.boolean().default(false).describe('grant roles/compute.imageUser to allAuthenticatedUsers'),
  shieldedInstanceInitialState: z
    .strictObject({
      pk: z.string().min(1).optional().describe('platform key certificate, DER or PEM file'),
      keks: certificateFiles.optional().describe('key exchange key certificates'),
      dbs: certificateFiles.optional().describe('allowed signature database certificates'),
      dbxs: certificateFiles.optional().describe('forbidden signature database certificates'),
    })
    .optional()
    .describe('UEFI Secure Boot variables the image starts VMs with'),
  timeouts: z
    .strictObject({
      uploadMinutes: z.number().positive().default(60),
      importMinutes: z.number().positive().default(60).describe('how long to wait for images.insert to finish'),
    })
    .prefault({}),
  retry: retryConfig({ maxAttempts: 8, maxSeconds: 300 }),
  endpoints: z
    .strictObject({ storage: endpoint.optional(), compute: endpoint.optional() })
    .optional()
    .describe('API endpoints other than Google\'s (a sandbox, a private endpoint, a test fake)'),
  accessToken: secretRef
    .optional()
    .describe('env:NAME holding an OAuth2 access token (gcloud auth print-access-token); default: Application Default Credentials'),
});

export type GcpConfig = z.infer<typeof gcpConfig>;
export type GcpSecurityType = GcpConfig['securityTypes'][number];
