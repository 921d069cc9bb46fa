import { z } from 'zod';

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const regionName = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region name such as us-east-1 or eu-central-1')
  .describe('an AWS region name');

const endpointUrl = z.url('expected a URL such as https://ec2.eu-west-1.amazonaws.com or http://127.0.0.1:4568');

/** A region the AMI is published in. A plain string is a region that must succeed. */
const regionEntry = z.union([
  regionName.transform((name) => ({ name, bestEffort: false, ec2Endpoint: undefined })),
  z.strictObject({
    name: regionName,
    bestEffort: z
      .boolean()
      .default(false)
      .describe('may fail without failing the run; the region is then left out of the lookup table'),
    ec2Endpoint: endpointUrl.optional().describe('EC2 endpoint for this region, e.g. a sandbox or a local fake'),
  }),
]);

export const awsConfig = z
  .strictObject({
    import: z
      .strictObject({
        region: regionName.describe('the region the raw image is imported in; every other region gets a copy'),
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, "." and "-")')
          .describe('S3 bucket in the import region that ImportSnapshot reads the raw image from'),
        prefix: z
          .string()
          .regex(/^([a-z0-9._-]+\/)*$/, 'expected a key prefix ending in "/" (e.g. osimage-import/), or empty')
          .default('osimage-import/')
          .describe('key prefix of uploaded raw images in the import bucket'),
        s3Endpoint: endpointUrl.optional().describe('S3-compatible endpoint for the import bucket'),
        forcePathStyle: z.boolean().default(false).describe('path-style S3 addressing, which most S3-compatible servers need'),
        checksums: z
          .boolean()
          .default(true)
          .describe('SHA-256 checksums on every part; turn off for S3-compatible servers that reject them'),
        deleteUploadedObject: z
          .boolean()
          .default(true)
          .describe('delete the uploaded raw image once its snapshot exists'),
        roleName: z
          .string()
          .min(1)
          .default('vmimport')
          .describe('the VM Import service role that lets EC2 read the bucket'),
        format: z
          .enum(['vmdk', 'raw'])
          .default('vmdk')
          .describe('what is uploaded for ImportSnapshot: vmdk (stream-optimized, only the data, deflated) or raw (every byte)'),
      })
      .describe('where the raw image is uploaded and imported'),
    regions: z
      .array(regionEntry)
      .min(1, 'aws.regions lists no region: add at least the import region, e.g. regions: [us-east-1]')
      .describe('every region that gets the AMI; the import region must be one of them'),
    namePrefix: z
      .string()
      .regex(/^[a-zA-Z0-9()[\]./_-]{1,40}$/, 'expected up to 40 characters allowed in AMI names: letters, digits, ( ) [ ] . / - _')
      .default('osimage')
      .describe('AMI names are <namePrefix>-<uid>'),
    public: z.boolean().default(false).describe('grant the launch permission to everyone (group all) once available'),
    imds: z
      .enum(['v2.0', 'v1-and-v2'])
      .default('v2.0')
      .describe('ImdsSupport of the AMI: v2.0 requires IMDSv2 on every instance; v1-and-v2 leaves it to the launch'),
    uefiData: z
      .string()
      .regex(/^[A-Za-z0-9+/=]+$/, 'expected base64 of an EFI variable store (the output of python-uefivars)')
      .max(64 * 1024, 'the UEFI data may be at most 64 KiB of base64')
      .optional()
      .describe('non-volatile UEFI variables (secure boot keys) to start instances with'),
    concurrency: z.int().min(1).max(20).default(5).describe('image copies in flight; AWS allows 5 per destination region'),
    maxAttempts: z.int().min(1).max(50).default(10).describe('attempts per API call, with adaptive backoff'),
    timeouts: z
      .strictObject({
        importMinutes: z.number().positive().default(60).describe('ImportSnapshot must complete within this time'),
        availableMinutes: z.number().positive().default(60).describe('each AMI must become available within this time'),
        pollSeconds: z.number().positive().default(15).describe('time between status checks'),
      })
      .prefault({}),
  })
  .superRefine((config, issues) => {
    const names = config.regions.map((region) => region.name);
    const importRegion = config.regions.find((region) => region.name === config.import.region);
    if (!importRegion) {
      issues.addIssue({
        code: 'custom',
        path: ['regions'],
        message: `the import region ${config.import.region} is not in aws.regions: add it (every other region copies its AMI)`,
      });
    } else if (importRegion.bestEffort) {
      issues.addIssue({
        code: 'custom',
        path: ['regions', names.indexOf(importRegion.name), 'bestEffort'],
        message: `the import region ${importRegion.name} cannot be bestEffort: every other region copies its AMI`,
      });
    }
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) {
      issues.addIssue({ code: 'custom', path: ['regions'], message: `aws.regions lists ${duplicate} twice: list each region once` });
    }
  })
  .describe('publish the raw image as an AMI in every listed region');

export type AwsConfig = z.infer<typeof awsConfig>;
export type AwsRegionConfig = AwsConfig['regions'][number];
