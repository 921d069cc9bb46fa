import { RegisterImageCommand } from '@aws-sdk/client-ec2';
import { callOptions, type AwsStep } from './aws-step.js';
import { findImageByName } from './images.js';

const ROOT_DEVICE = '/dev/xvda';

/** Registers the AMI in the import region from the imported snapshot: UEFI with a vTPM, for confidential VMs. */
export async function registerImage(step: AwsStep, snapshotId: string): Promise<string> {
  const { config } = step;
  const region = config.import.region;
  try {
    const result = await step.clients.ec2(region).send(
      new RegisterImageCommand({
        Name: step.name,
        Description: `${step.name} (commit ${step.ctx.commit})`,
        Architecture: 'x86_64',
        VirtualizationType: 'hvm',
        BootMode: 'uefi',
        TpmSupport: 'v2.0',
        EnaSupport: true,
        ImdsSupport: config.imds === 'v2.0' ? 'v2.0' : undefined,
        UefiData: config.uefiData,
        RootDeviceName: ROOT_DEVICE,
        BlockDeviceMappings: [
          { DeviceName: ROOT_DEVICE, Ebs: { SnapshotId: snapshotId, VolumeType: 'gp3', DeleteOnTermination: true } },
        ],
        TagSpecifications: [{ ResourceType: 'image', Tags: step.tags }],
      }),
      callOptions(step),
    );
    step.ctx.log.info({ region, imageId: result.ImageId, name: step.name }, 'registered the AMI');
    return result.ImageId!;
  } catch (error) {
    // A retried RegisterImage whose first attempt succeeded: the name is ours, and so is the AMI.
    if ((error as Error).name !== 'InvalidAMIName.Duplicate') throw error;
    const image = await findImageByName(step, region);
    if (!image) throw error;
    return image.ImageId!;
  }
}
