import { DescribeImageAttributeCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { resumable } from '../../../pipeline/journal.js';
import { callOptions, type AwsStep } from './aws-step.js';
import { whenVisible } from './poll.js';

/** Makes an available AMI launchable by every account (`public: true` in the config). */
export async function makePublic(step: AwsStep, region: string, imageId: string): Promise<void> {
  const isPublic = async () => {
    const result = await whenVisible(step, `reading the launch permission of ${imageId} in ${region}`, () =>
      step.clients
        .ec2(region)
        .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }), callOptions(step)),
    );
    return (result.LaunchPermissions ?? []).some((permission) => permission.Group === 'all');
  };
  await resumable<{ imageId: string }>(step.ctx.journal, `public/${region}`, {
    digest: step.ctx.image.digest,
    confirm: async (recorded) => recorded.imageId === imageId && (await isPublic()),
    find: async () => ((await isPublic()) ? { imageId } : undefined),
    create: async () => {
      await whenVisible(step, `making ${imageId} in ${region} public`, () =>
        step.clients.ec2(region).send(
          new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }),
          callOptions(step),
        ),
      );
      step.ctx.log.info({ region, imageId }, 'the AMI is public');
      return { imageId };
    },
  });
}
