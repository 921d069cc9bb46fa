import { DeleteSnapshotCommand, DeregisterImageCommand } from '@aws-sdk/client-ec2';
import { mapBounded } from '../../../pipeline/bounded.js';
import { callOptions, type AwsStep } from './aws-step.js';
import { findImageByName } from './images.js';
import { describeSnapshots } from './import-snapshot.js';
import { importObjectKey, UID_TAG } from './names.js';

/**
 * --replace: deletes what earlier runs made for this uid, whatever image it holds: the AMI of our name in every
 * configured region with its snapshot, the imported snapshot tagged with the uid, and the import object; then the
 * journal forgets them. Import tasks cannot be deleted; the next import ignores those of another digest.
 */
export async function removeUpload(step: AwsStep): Promise<void> {
  const { ctx, config, clients } = step;
  await mapBounded(config.regions, config.concurrency, async ({ name: region }) => {
    const image = await findImageByName(step, region);
    if (!image) return;
    const snapshots = (image.BlockDeviceMappings ?? []).flatMap((mapping) => mapping.Ebs?.SnapshotId ?? []);
    ctx.log.info({ region, imageId: image.ImageId, snapshots }, 'deregistering the AMI an earlier run made (--replace)');
    await clients.ec2(region).send(new DeregisterImageCommand({ ImageId: image.ImageId }), callOptions(step));
    for (const snapshotId of snapshots) await deleteSnapshot(step, region, snapshotId);
  });
  const tagged = await describeSnapshots(step, { OwnerIds: ['self'], Filters: [{ Name: `tag:${UID_TAG}`, Values: [ctx.uid] }] });
  for (const snapshot of tagged) await deleteSnapshot(step, config.import.region, snapshot.SnapshotId!);
  await clients.importStore.delete(importObjectKey(config, ctx.uid, ctx.csp));
  const keys = ['snapshot', 'import-task', 'import-object', ...config.regions.flatMap((region) => [`ami/${region.name}`, `public/${region.name}`])];
  for (const key of keys) await ctx.journal.forget(key);
}

async function deleteSnapshot(step: AwsStep, region: string, snapshotId: string): Promise<void> {
  try {
    await step.clients.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), callOptions(step));
  } catch (error) {
    // The AMI's snapshot in the import region is also the one tagged with the uid: deleted once is enough.
    if ((error as Error).name !== 'InvalidSnapshot.NotFound') throw error;
  }
}
