import { DescribeImagesCommand, DescribeRegionsCommand, GetImageBlockPublicAccessStateCommand } from '@aws-sdk/client-ec2';
import { GetBucketLocationCommand } from '@aws-sdk/client-s3';
import type { AwsConfig } from '../../../config/aws.js';
import { didYouMean } from '../../../pipeline/did-you-mean.js';
import { Checklist } from '../checklist.js';
import type { Check, PreflightContext } from '../uploader.js';
import type { AwsClients } from './clients.js';
import { explainAwsError } from './explain.js';
import { amiName } from './names.js';

/** Service Quotas' code of "Public AMIs" per region (ResourceLimitExceeded when a launch permission would exceed it). */
export const PUBLIC_AMI_QUOTA = 'L-0E3CBAB9';

/**
 * Everything the AWS step needs that can be read before the first write: working credentials, every region known
 * and enabled (opt-in regions answer AuthFailure until enabled), the import bucket in the import region, the VM
 * Import role, and for a public release Image Block Public Access off and room in the public-AMI quota per region.
 */
export async function preflightAws(ctx: PreflightContext, config: AwsConfig, clients: AwsClients): Promise<Check[]> {
  const explain = (permission: string) => (error: unknown) => explainAwsError(error, permission);
  const options = { abortSignal: ctx.signal };
  const importRegion = config.import.region;
  const list = new Checklist(explain('ec2:DescribeRegions'), ctx.signal);
  const answer = await list.read(`the AWS credentials work (DescribeRegions in ${importRegion})`, () =>
    clients.ec2(importRegion).send(new DescribeRegionsCommand({ AllRegions: true }), options),
  );
  // Without credentials nothing else can be asked: the failed check says how to log in.
  if (!answer) return list.checks;
  list.pass(`the AWS credentials work (DescribeRegions in ${importRegion})`);

  const optIn = new Map((answer.value.Regions ?? []).map((region) => [region.RegionName!, region.OptInStatus]));
  const enabled: string[] = [];
  for (const { name } of config.regions) {
    const what = `region ${name} exists and is enabled for the account`;
    if (!optIn.has(name)) {
      const guess = didYouMean(name, optIn.keys());
      list.fail(what, `AWS has no region ${name}`, `fix aws.regions in the config${guess ? `: did you mean ${guess}?` : ''}`);
    } else if (optIn.get(name) === 'not-opted-in') {
      list.fail(
        what,
        `${name} is an opt-in region this account has not enabled; AWS answers AuthFailure there`,
        `enable it (aws account enable-region --region-name ${name}, or the console: Account → AWS Regions), or remove it from aws.regions`,
      );
    } else {
      list.pass(what);
      enabled.push(name);
    }
  }

  const bucket = new Checklist(explain('s3:GetBucketLocation on the import bucket'), ctx.signal);
  const role = new Checklist(explain('iam:GetRole'), ctx.signal);
  const [, , ...sharing] = await Promise.all([
    checkImportBucket(bucket, config, clients, options),
    checkRole(role, config, clients, options),
    ...(config.public ? enabled.map((region) => checkPublicSharing(ctx, config, clients, region)) : []),
  ]);
  return [...list.checks, ...bucket.checks, ...role.checks, ...sharing.flat()];
}

async function checkImportBucket(list: Checklist, config: AwsConfig, clients: AwsClients, options: { abortSignal: AbortSignal }): Promise<void> {
  const { bucket, region } = config.import;
  const what = `the import bucket s3://${bucket} is in the import region ${region}`;
  const answer = await list.read(what, () => clients.importStore.client.send(new GetBucketLocationCommand({ Bucket: bucket }), options));
  if (!answer) return;
  // S3 answers no constraint for us-east-1 and the legacy EU for eu-west-1.
  const constraint = answer.value.LocationConstraint as string | undefined;
  const location = !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
  if (location === region) list.pass(what);
  else list.fail(what, `the bucket is in ${location}; ImportSnapshot reads only from a bucket in its own region`, `set aws.import.region to ${location}, or use a bucket in ${region}`);
}

async function checkRole(list: Checklist, config: AwsConfig, clients: AwsClients, options: { abortSignal: AbortSignal }): Promise<void> {
  const { roleName } = config.import;
  const what = `the VM Import service role ${roleName} exists`;
  const { GetRoleCommand } = await import('@aws-sdk/client-iam');
  const iam = await clients.iam();
  const found = await list.read(what, async () => {
    try {
      await iam.send(new GetRoleCommand({ RoleName: roleName }), options);
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchEntityException') return false;
      throw error;
    }
  });
  if (found?.value) list.pass(what);
  else if (found) {
    list.fail(
      what,
      `the account has no IAM role ${roleName}: ImportSnapshot would end "deleted" after the whole upload`,
      'create it as the VM Import guide says (https://docs.aws.amazon.com/vm-import/latest/userguide/required-permissions.html), or set aws.import.roleName',
    );
  }
}

/** A public release needs Image Block Public Access off and room in the public-AMI quota, in every region. */
async function checkPublicSharing(ctx: PreflightContext, config: AwsConfig, clients: AwsClients, region: string): Promise<Check[]> {
  const options = { abortSignal: ctx.signal };
  const ec2 = clients.ec2(region);
  const blocking = new Checklist((error) => explainAwsError(error, 'ec2:GetImageBlockPublicAccessState'), ctx.signal);
  const blockWhat = `Image Block Public Access is off in ${region} (aws.public is true)`;
  const state = await blocking.read(blockWhat, () => ec2.send(new GetImageBlockPublicAccessStateCommand({}), options));
  if (state?.value.ImageBlockPublicAccessState === 'block-new-sharing') {
    blocking.fail(blockWhat, `it is on (block-new-sharing): AWS refuses to make any AMI public in ${region}`, `turn it off (aws ec2 disable-image-block-public-access --region ${region}), or set aws.public: false`);
  } else if (state) {
    blocking.pass(blockWhat);
  }

  const quota = new Checklist((error) => explainAwsError(error, 'servicequotas:GetServiceQuota and ec2:DescribeImages'), ctx.signal);
  const quotaWhat = `the public-AMI quota in ${region} has room for this image`;
  const figures = await quota.read(quotaWhat, async () => {
    const [limit, images] = await Promise.all([
      publicAmiQuota(clients, region, options),
      ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'is-public', Values: ['true'] }] }), options),
    ]);
    // This uid's own AMI, public from an interrupted run, needs no room of its own.
    const ours = ctx.uid ? amiName(config, ctx.uid) : undefined;
    return { limit, used: (images.Images ?? []).filter((image) => image.Name !== ours).length };
  });
  if (figures && figures.value.used < figures.value.limit) {
    quota.pass(`${quotaWhat} (${figures.value.used} of ${figures.value.limit} used)`);
  } else if (figures) {
    const { used, limit } = figures.value;
    quota.fail(
      quotaWhat,
      `the account owns ${used} public AMIs in ${region} and the quota (${PUBLIC_AMI_QUOTA}) is ${limit}: making this one public would fail with ResourceLimitExceeded`,
      `request more (aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${PUBLIC_AMI_QUOTA} --desired-value ${limit + 5} --region ${region}), or make old public AMIs private`,
    );
  }
  return [...blocking.checks, ...quota.checks];
}

/** The applied quota, or AWS's default where none was ever applied (Service Quotas answers NoSuchResource then). */
async function publicAmiQuota(clients: AwsClients, region: string, options: { abortSignal: AbortSignal }): Promise<number> {
  const { GetServiceQuotaCommand, GetAWSDefaultServiceQuotaCommand } = await import('@aws-sdk/client-service-quotas');
  const client = await clients.serviceQuotas(region);
  const request = { ServiceCode: 'ec2', QuotaCode: PUBLIC_AMI_QUOTA };
  try {
    return (await client.send(new GetServiceQuotaCommand(request), options)).Quota?.Value ?? 0;
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchResourceException') throw error;
    return (await client.send(new GetAWSDefaultServiceQuotaCommand(request), options)).Quota?.Value ?? 0;
  }
}
