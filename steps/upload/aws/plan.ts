import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { OsimageError } from '../../../pipeline/errors.js';
import type { Plan } from '../uploader.js';
import { callOptions, type AwsStep } from './aws-step.js';
import { importObjectKey } from './names.js';

export const PLANNED = '<planned>';

/**
 * The dry run: read-only checks (the credentials work, every region exists and is enabled for the account, the
 * import bucket exists and is reachable) and the writes a real run would make, minus what the journal says is done.
 */
export async function planUpload(step: AwsStep): Promise<Plan<Record<string, string>>> {
  const { ctx, config } = step;
  const importRegion = config.import.region;
  const names = config.regions.map((region) => region.name);
  const checks: string[] = [];

  const regions = await readOnly('describe the regions (checks the credentials)', () =>
    step.clients.ec2(importRegion).send(new DescribeRegionsCommand({ AllRegions: true, RegionNames: names }), callOptions(step)),
  );
  for (const name of names) {
    const found = regions.Regions?.find((region) => region.RegionName === name);
    if (!found) throw new OsimageError(`the region ${name} does not exist for this account`, 'fix aws.regions in the config');
    if (found.OptInStatus === 'not-opted-in') {
      throw new OsimageError(`the region ${name} is not enabled for this account`, 'enable it in the AWS console (Account → AWS Regions) or remove it from aws.regions');
    }
  }
  checks.push(`credentials work; regions exist and are enabled: ${names.join(', ')}`);

  await readOnly(`find the import bucket ${config.import.bucket}`, () =>
    step.clients.importStore.client.send(new HeadBucketCommand({ Bucket: config.import.bucket }), callOptions(step)),
  );
  checks.push(`import bucket s3://${config.import.bucket} exists`);

  const done = (region: string) => ctx.journal.get<{ imageId: string }>(`ami/${region}`)?.imageId;
  const writes: string[] = [];
  if (!done(importRegion) && !ctx.journal.get('snapshot')) {
    const key = importObjectKey(config, ctx.uid, ctx.csp);
    const what = config.import.format === 'vmdk' ? `the image's data as a stream-optimized VMDK` : `${ctx.image.size} bytes`;
    writes.push(`upload s3://${config.import.bucket}/${key} (${what})`);
    writes.push(`ImportSnapshot in ${importRegion} (role ${config.import.roleName})`);
    if (config.import.deleteUploadedObject) writes.push(`delete s3://${config.import.bucket}/${key} after the import`);
  }
  if (!done(importRegion)) writes.push(`RegisterImage ${step.name} in ${importRegion}`);
  for (const region of names.filter((name) => name !== importRegion && !done(name))) {
    writes.push(`CopyImage ${step.name} from ${importRegion} to ${region}`);
  }
  if (config.public) writes.push(`ModifyImageAttribute launchPermission add group all in ${names.join(', ')}`);

  const reference = Object.fromEntries(names.map((name) => [name, done(name) ?? PLANNED]));
  return { checks, writes, reference };
}

async function readOnly<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error).name;
    const credentials = /credential|AuthFailure|UnauthorizedOperation|InvalidClientTokenId|Forbidden|ExpiredToken/i.test(name);
    throw new OsimageError(
      `could not ${what}: ${name}: ${(error as Error).message}`,
      credentials
        ? 'check the AWS credentials (environment, profile or the CI role) and their permissions'
        : 'check aws.import and aws.regions in the config, and the network',
      { cause: error },
    );
  }
}
