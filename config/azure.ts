import { z } from 'zod';
import { retryConfig } from './retry.js';
import { secretRef } from './secret.js';

/** The two Azure images osimage builds, and the lookup-table keys they get. */
export const azureSecurityTypes = ['cvm', 'trustedlaunch'] as const;
export type AzureSecurityType = (typeof azureSecurityTypes)[number];

const name = (what: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, `expected an Azure ${what} name (letters, digits, . _ -)`);

const imageDefinition = z.strictObject({
  name: name('image definition'),
  publisher: z.string().min(1),
  offer: z.string().min(1),
  sku: z.string().min(1),
});

export const azureConfig = z
  .strictObject({
    subscriptionId: z.uuid('expected the subscription id, a UUID'),
    resourceGroup: z.string().regex(/^[-\w.()]{1,90}$/, 'expected a resource group name'),
    location: z.string().min(1).describe('region of the gallery, the definitions and the temporary disks, e.g. westeurope'),
    gallery: name('gallery').describe('Azure Compute Gallery name, created when missing (letters, digits, . _)'),
    securityTypes: z.array(z.enum(azureSecurityTypes)).min(1).default(['cvm', 'trustedlaunch']).describe('the images to build'),
    imageDefinitions: z.strictObject({ cvm: imageDefinition.optional(), trustedlaunch: imageDefinition.optional() }),
    cvmSecurityType: z
      .enum(['ConfidentialVM_VMGuestStateOnlyEncryptedWithPlatformKey', 'ConfidentialVM_DiskEncryptedWithPlatformKey', 'ConfidentialVM_NonPersistedTPM'])
      .default('ConfidentialVM_VMGuestStateOnlyEncryptedWithPlatformKey')
      .describe('security type of the uploaded CVM disk'),
    targetRegions: z
      .array(z.strictObject({ name: z.string().min(1), replicas: z.int().min(1).max(100).default(1) }))
      .min(1)
      .optional()
      .describe('where each image version is replicated; the gallery location with one replica by default'),
    community: z
      .strictObject({
        publicNamePrefix: z.string().regex(/^[A-Za-z0-9]{5,16}$/, 'expected 5 to 16 letters and digits'),
        publisherUri: z.url(),
        publisherContact: z.email(),
        eula: z.url(),
      })
      .optional()
      .describe('share the gallery publicly as a community gallery; the lookup table then holds community ids'),
    timeouts: z
      .strictObject({
        diskUploadMinutes: z.number().positive().default(60),
        replicationMinutes: z.number().positive().default(180).describe('replication to many regions can take hours'),
      })
      .prefault({}),
    upload: z
      .strictObject({
        concurrency: z.int().min(1).max(64).default(8).describe('4 MiB pages in flight'),
        maxTries: z.int().min(1).max(20).default(5),
      })
      .prefault({}),
    retry: retryConfig({ maxAttempts: 8, maxSeconds: 300 }),
    pollIntervalSeconds: z.number().positive().max(600).default(15).describe('how often long-running operations are polled'),
    endpoints: z
      .strictObject({
        arm: z.url().optional().describe('Azure Resource Manager, e.g. a sovereign cloud or a sandbox'),
      })
      .prefault({}),
    accessToken: secretRef
      .optional()
      .describe('an ARM bearer token (env:NAME or a file), e.g. from `az account get-access-token`; DefaultAzureCredential otherwise'),
  })
  .superRefine((config, issue) => {
    for (const type of config.securityTypes) {
      if (!config.imageDefinitions[type]) {
        issue.addIssue({ code: 'custom', path: ['imageDefinitions', type], message: `the ${type} image is built, so it needs an image definition (name, publisher, offer, sku)` });
      }
    }
  })
  .describe('upload to an Azure Compute Gallery: one image version per security type');

export type AzureConfig = z.infer<typeof azureConfig>;
