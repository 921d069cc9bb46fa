import type { Csp } from '../../discovery/version.js';

/**
 * One thing a uid owns somewhere, as the lifecycle commands (delete, gc) plan and report it. A plan is a list of
 * these in the order they can go: an AMI before its snapshot, an image version before its definition.
 */
export interface OwnedResource {
  /** `store` for the published files and raw objects, else the cloud that holds it. */
  csp: Csp | 'store';
  /** An AWS region, Azure's replication regions, `global`, or the bucket: where it costs money. */
  location: string;
  kind: string;
  /** What the cloud's delete call takes: an AMI id, an ARM resource id, an image name, an object key. */
  id: string;
  /** Bytes stored, when the cloud says. */
  sizeBytes?: number;
}

/** A stable key of a resource for the journal's progress records. */
export function resourceKey(resource: OwnedResource): string {
  return `${resource.csp}:${resource.location}:${resource.kind}:${resource.id}`;
}

/**
 * What a cloud's lifecycle module offers the commands: find what a uid owns (read-only), and delete one resource,
 * where a resource already gone counts as deleted. Each cloud implements it in its own module, with its SDK loaded
 * only when that cloud is asked.
 */
export interface CloudLifecycle {
  readonly csp: Csp;
  /** Every resource of the uid: those the lookup table and the journal name, and those carrying its tags. */
  inventory(target: LifecycleTarget): Promise<OwnedResource[]>;
  delete(resource: OwnedResource): Promise<void>;
  close(): Promise<void>;
}

/** What a lifecycle module is told about one uid. */
export interface LifecycleTarget {
  uid: string;
  /** This cloud's entry of the published lookup table, when there is one. */
  reference?: unknown;
  /** This cloud's journal entries of the uid (the upload step's records). */
  journal: Record<string, unknown>;
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const GiB = 2 ** 30;
  const MiB = 2 ** 20;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(bytes % GiB === 0 ? 0 : 1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  return `${bytes} B`;
}
