import { DescribeImageAttributeCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { AwsConfig } from '../../config/aws.js';
import type { Version } from '../../discovery/version.js';
import { OsimageError } from '../../pipeline/errors.js';
import type { Journal } from '../../pipeline/journal.js';
import type { LifecycleContext } from './context.js';
import type { AwsStep } from '../upload/aws/aws-step.js';
import { AwsClients } from '../upload/aws/clients.js';
import { copyImage } from '../upload/aws/copy-image.js';
import { amiInRegion } from '../upload/aws/images.js';
import { makePublic } from '../upload/aws/launch-permission.js';
import { mapBounded } from '../../pipeline/bounded.js';

export interface AwsReplication {
  uid: string;
  version: Version;
  /** The published aws entry: region → AMI id. */
  published: Record<string, string>;
  regions: string[];
  journal: Journal;
}

/**
 * Copies the import region's published AMI into new regions, with no re-upload: CopyImage from it, wait until each
 * copy is available, then the original's tags (whatever it carries: uid, version, commit, digest) and its public
 * launch permission. Each copy is journalled under `ami/<region>` like the upload's copies, so a rerun resumes and a
 * later upload of the uid finds them. Returns the new regions' AMIs.
 */
export async function replicateAws(ctx: LifecycleContext, config: AwsConfig, replication: AwsReplication): Promise<Record<string, string>> {
  const source = config.import.region;
  const sourceImageId = replication.published[source];
  if (!sourceImageId) {
    throw new OsimageError(`the lookup table of ${replication.uid} has no AMI in the import region ${source}, the one copies are made from`);
  }
  const clients = new AwsClients(config);
  try {
    const [image] = (await clients.ec2(source).send(new DescribeImagesCommand({ ImageIds: [sourceImageId] }), { abortSignal: ctx.signal })).Images ?? [];
    if (image?.State !== 'available') throw new OsimageError(`the published AMI ${sourceImageId} in ${source} is ${image?.State ?? 'gone'}; nothing can be copied from it`);
    const permissions = await clients.ec2(source).send(new DescribeImageAttributeCommand({ ImageId: sourceImageId, Attribute: 'launchPermission' }), { abortSignal: ctx.signal });
    const isPublic = (permissions.LaunchPermissions ?? []).some((permission) => permission.Group === 'all');
    const tags = (image.Tags ?? []).filter((tag) => tag.Key && !tag.Key.startsWith('aws:')).map((tag) => ({ Key: tag.Key!, Value: tag.Value ?? '' }));
    const commit = tags.find((tag) => tag.Key === 'osimage:commit')?.Value ?? '';
    const step: AwsStep = {
      // Replication copies an existing AMI: none of the calls used here reads a raw image.
      ctx: {
        uid: replication.uid,
        version: replication.version,
        commit,
        csp: 'aws',
        image: { path: '', size: 0, digest: tags.find((tag) => tag.Key === 'osimage:digest')?.Value ?? '' },
        config: ctx.config,
        log: ctx.log.child({ csp: 'aws' }),
        signal: ctx.signal,
        warnings: [],
        journal: replication.journal,
        store: ctx.store,
      },
      config,
      clients,
      name: image.Name!,
      tags,
    };
    const copies = await mapBounded(replication.regions, config.concurrency, async (region) => {
      const imageId = await amiInRegion(step, region, () => copyImage(step, region, sourceImageId));
      if (isPublic) await makePublic(step, region, imageId);
      return [region, imageId] as const;
    });
    return Object.fromEntries(copies);
  } finally {
    clients.destroy();
  }
}
