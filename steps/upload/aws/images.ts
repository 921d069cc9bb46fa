import { CreateTagsCommand, DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { checkDigest } from '../../../pipeline/digest-check.js';
import { OsimageError } from '../../../pipeline/errors.js';
import { resumable } from '../../../pipeline/journal.js';
import { callOptions, type AwsStep } from './aws-step.js';
import { digestTag } from './names.js';
import { isNotYetVisible, pollUntil, whenVisible } from './poll.js';

/** States from which an AMI never becomes available. */
const BROKEN = new Set(['failed', 'invalid', 'error', 'deregistered', 'disabled']);

/**
 * The AMI of one region, recorded in the journal the moment it is available and tagged: the journalled one while EC2
 * still has it, else one with our name (AMI names are unique per account and region), else a new one from `make`.
 */
export async function amiInRegion(step: AwsStep, region: string, make: () => Promise<string>): Promise<string> {
  const ready = async (imageId: string) => {
    await waitForAvailable(step, region, imageId);
    await tagImage(step, region, imageId);
    step.ctx.log.info({ region, imageId }, 'the AMI is available');
    return { imageId };
  };
  const unit = await resumable<{ imageId: string }>(step.ctx.journal, `ami/${region}`, {
    digest: step.ctx.image.digest,
    confirm: async ({ imageId }) => (await describeImage(step, region, imageId))?.State === 'available',
    find: async () => {
      const image = await findImageByName(step, region);
      if (!image) return undefined;
      checkDigest(`the AMI ${image.ImageId} (${step.name}) in ${region}`, digestTag(image.Tags), step.ctx.image.digest);
      step.ctx.log.info({ region, imageId: image.ImageId }, 'found the AMI an earlier run made');
      return ready(image.ImageId!);
    },
    create: async () => ready(await make()),
  });
  return unit.imageId;
}

export async function findImageByName(step: AwsStep, region: string): Promise<Image | undefined> {
  const result = await step.clients
    .ec2(region)
    .send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [step.name] }] }), callOptions(step));
  return result.Images?.find((image) => image.Name === step.name && image.State !== 'deregistered');
}

/** Undefined while EC2 does not know the id (yet, or any more). */
export async function describeImage(step: AwsStep, region: string, imageId: string): Promise<Image | undefined> {
  try {
    const result = await step.clients.ec2(region).send(new DescribeImagesCommand({ ImageIds: [imageId] }), callOptions(step));
    return result.Images?.[0];
  } catch (error) {
    if (isNotYetVisible(error)) return undefined;
    throw error;
  }
}

async function waitForAvailable(step: AwsStep, region: string, imageId: string): Promise<Image> {
  let last: string | undefined;
  return pollUntil(
    step,
    { what: `the AMI ${imageId} in ${region} becoming available`, timeoutMinutes: step.config.timeouts.availableMinutes, timeoutKey: 'aws.timeouts.availableMinutes' },
    async () => {
      // Unknown right after RegisterImage or CopyImage: EC2 is eventually consistent, so that counts as pending.
      const image = await describeImage(step, region, imageId);
      const state = image?.State ?? 'not visible yet';
      if (BROKEN.has(state)) {
        throw new OsimageError(
          `the AMI ${imageId} in ${region} is ${state}: ${image?.StateReason?.Message ?? 'EC2 gave no reason'}`,
          `deregister it (aws ec2 deregister-image --region ${region} --image-id ${imageId}) and run again`,
        );
      }
      if (state !== last) step.ctx.log.info({ region, imageId, state }, 'waiting for the AMI');
      last = state;
      return state === 'available' ? image : undefined;
    },
  );
}

/** Tags the AMI and its snapshot. Copies carry the source's tags, but EC2 does not promise it; tags are cheap to set. */
async function tagImage(step: AwsStep, region: string, imageId: string): Promise<void> {
  const image = await describeImage(step, region, imageId);
  const snapshots = (image?.BlockDeviceMappings ?? []).flatMap((mapping) => mapping.Ebs?.SnapshotId ?? []);
  await whenVisible(step, `tagging ${imageId} in ${region}`, () =>
    step.clients.ec2(region).send(new CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: step.tags }), callOptions(step)),
  );
}
