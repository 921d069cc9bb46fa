import { CopyImageCommand } from '@aws-sdk/client-ec2';
import { callOptions, type AwsStep } from './aws-step.js';
import { clientToken } from './names.js';

/**
 * Copies the import region's AMI into another region. The client token makes a retried call (by the SDK or by a rerun
 * that lost the answer) return the copy the first call started instead of starting a second one.
 */
export async function copyImage(step: AwsStep, region: string, sourceImageId: string): Promise<string> {
  const source = step.config.import.region;
  const result = await step.clients.ec2(region).send(
    new CopyImageCommand({
      Name: step.name,
      Description: `${step.name} (commit ${step.ctx.commit})`,
      SourceRegion: source,
      SourceImageId: sourceImageId,
      CopyImageTags: true,
      ClientToken: clientToken('copy-image', step.ctx.uid, sourceImageId, region),
    }),
    callOptions(step),
  );
  step.ctx.log.info({ region, imageId: result.ImageId, sourceImageId }, 'copying the AMI');
  return result.ImageId!;
}
