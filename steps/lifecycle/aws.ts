import { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeSnapshotsCommand, type Image } from '@aws-sdk/client-ec2';
import type { AwsConfig } from '../../config/aws.js';
import { AwsClients } from '../upload/aws/clients.js';
import { UID_TAG } from '../upload/aws/names.js';
import type { CloudLifecycle, LifecycleTarget, OwnedResource } from './resource.js';

const GiB = 2 ** 30;
/** What EC2 answers for an AMI or snapshot that is gone: deleting it again is done. */
const GONE = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable', 'InvalidSnapshot.NotFound']);

/**
 * AWS: the AMIs of a uid in every region (those the table and the journal name, and any tagged `osimage:uid` with
 * it, such as the copy of a run that failed before it recorded it), their snapshots, and the raw image left in the
 * import bucket. AMIs go first: EC2 refuses to delete a snapshot an AMI still uses.
 */
export function awsLifecycle(config: AwsConfig): CloudLifecycle {
  const clients = new AwsClients(config);
  return {
    csp: 'aws',
    async inventory(target) {
      const amis: OwnedResource[] = [];
      const snapshots: OwnedResource[] = [];
      for (const region of regionsOf(config, target)) {
        const images = await imagesOf(clients, region, target.uid, knownImages(target, region));
        amis.push(...images.map((image): OwnedResource => ({ csp: 'aws', location: region, kind: 'ami', id: image.ImageId! })));
        const used = images.flatMap((image) => (image.BlockDeviceMappings ?? []).flatMap((mapping) => mapping.Ebs?.SnapshotId ?? []));
        const imported = (target.journal.snapshot as { snapshotId?: string } | undefined)?.snapshotId;
        if (imported && region === config.import.region) used.push(imported);
        snapshots.push(...(await snapshotsOf(clients, region, target.uid, used)));
      }
      const objects: OwnedResource[] = [];
      const upload = target.journal['import-object'] as { key?: string } | undefined;
      if (upload?.key) {
        const info = await clients.importStore.head(upload.key);
        if (info) objects.push({ csp: 'aws', location: `s3://${config.import.bucket}`, kind: 'object', id: upload.key, sizeBytes: info.size });
      }
      return [...amis, ...snapshots, ...objects];
    },
    async delete(resource) {
      const ec2 = clients.ec2(resource.location);
      if (resource.kind === 'object') return clients.importStore.delete(resource.id);
      try {
        if (resource.kind === 'ami') await ec2.send(new DeregisterImageCommand({ ImageId: resource.id }));
        else await ec2.send(new DeleteSnapshotCommand({ SnapshotId: resource.id }));
      } catch (error) {
        if (!GONE.has((error as Error).name)) throw error;
      }
    },
    async close() {
      clients.destroy();
    },
  };
}

/** The configured regions and any other region the table or the journal names. */
function regionsOf(config: AwsConfig, target: LifecycleTarget): string[] {
  const regions = new Set(config.regions.map((region) => region.name));
  for (const region of Object.keys((target.reference ?? {}) as Record<string, string>)) regions.add(region);
  for (const key of Object.keys(target.journal)) if (key.startsWith('ami/')) regions.add(key.slice('ami/'.length));
  return [...regions];
}

function knownImages(target: LifecycleTarget, region: string): string[] {
  const fromTable = ((target.reference ?? {}) as Record<string, string>)[region];
  const fromJournal = (target.journal[`ami/${region}`] as { imageId?: string } | undefined)?.imageId;
  return [...new Set([fromTable, fromJournal].filter((id): id is string => id !== undefined))];
}

/** The uid's AMIs in a region: the known ids EC2 still has, and those tagged with the uid. */
async function imagesOf(clients: AwsClients, region: string, uid: string, known: string[]): Promise<Image[]> {
  const ec2 = clients.ec2(region);
  const found = new Map<string, Image>();
  const tagged = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${UID_TAG}`, Values: [uid] }] }));
  for (const image of tagged.Images ?? []) found.set(image.ImageId!, image);
  for (const imageId of known.filter((id) => !found.has(id))) {
    try {
      const result = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      for (const image of result.Images ?? []) found.set(image.ImageId!, image);
    } catch (error) {
      if (!GONE.has((error as Error).name)) throw error;
    }
  }
  return [...found.values()].filter((image) => image.State !== 'deregistered');
}

/** The snapshots of the uid in a region, with their sizes: the known ones EC2 still has, and those tagged with the uid. */
async function snapshotsOf(clients: AwsClients, region: string, uid: string, known: string[]): Promise<OwnedResource[]> {
  const ec2 = clients.ec2(region);
  const resource = (snapshot: { SnapshotId?: string; VolumeSize?: number }): OwnedResource => ({
    csp: 'aws',
    location: region,
    kind: 'snapshot',
    id: snapshot.SnapshotId!,
    sizeBytes: snapshot.VolumeSize === undefined ? undefined : snapshot.VolumeSize * GiB,
  });
  const found = new Map<string, OwnedResource>();
  const tagged = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${UID_TAG}`, Values: [uid] }] }));
  for (const snapshot of tagged.Snapshots ?? []) found.set(snapshot.SnapshotId!, resource(snapshot));
  for (const snapshotId of new Set(known.filter((id) => !found.has(id)))) {
    try {
      const result = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
      for (const snapshot of result.Snapshots ?? []) found.set(snapshot.SnapshotId!, resource(snapshot));
    } catch (error) {
      if (!GONE.has((error as Error).name)) throw error;
    }
  }
  return [...found.values()];
}
