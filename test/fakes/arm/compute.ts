import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { Operations, Outcome } from './lro.js';
import { ArmError } from './errors.js';

export interface BlobAccount {
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  url: string;
  account: string;
  key: string;
}

export interface ComputeRequest {
  method: string;
  /** As sent (ARM keeps the case of names, matches them without it). */
  path: string;
  query: URLSearchParams;
  body: unknown;
  apiVersion: string;
  /** The long-running operation this request starts ends Failed (an injected fault). */
  failOperation: boolean;
}

/** A resource as ARM serves it: the envelope and its properties. */
export interface Resource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  sku?: unknown;
  properties: Record<string, any>;
}

/** What the fake saw of a disk upload when it was closed: what Azurite holds. */
export interface DiskUpload {
  disk: string;
  /** The page ranges written, [offset, length]: where the upload sent bytes. */
  ranges: Array<[number, number]>;
  /** Their sum: the bytes the upload sent. */
  writtenBytes: number;
  /** SHA-256 of the written bytes in offset order, up to the footer. */
  dataSha256: string;
  /** The last 512 bytes of the disk. */
  footer: Buffer;
}

type Body = { location?: string; tags?: Record<string, string>; sku?: unknown; properties?: Record<string, any> };

const CONTAINER = 'disks';
const MiB = 1024 * 1024;
const PREFIX = String.raw`^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.compute`;
const ROUTES = {
  disk: new RegExp(`${PREFIX}/disks/([^/]+)$`, 'i'),
  diskAction: new RegExp(`${PREFIX}/disks/([^/]+)/(begingetaccess|endgetaccess)$`, 'i'),
  galleries: new RegExp(`${PREFIX}/galleries$`, 'i'),
  gallery: new RegExp(`${PREFIX}/galleries/([^/]+)$`, 'i'),
  share: new RegExp(`${PREFIX}/galleries/([^/]+)/share$`, 'i'),
  image: new RegExp(`${PREFIX}/galleries/([^/]+)/images/([^/]+)$`, 'i'),
  versions: new RegExp(`${PREFIX}/galleries/([^/]+)/images/([^/]+)/versions$`, 'i'),
  version: new RegExp(`${PREFIX}/galleries/([^/]+)/images/([^/]+)/versions/([^/]+)$`, 'i'),
};

/**
 * Microsoft.Compute disks (with upload through grantAccess/revokeAccess into Azurite), galleries (with community
 * sharing), gallery image definitions and gallery image versions (with replication to target regions).
 */
export class Compute {
  readonly resources = new Map<string, Resource>();
  readonly uploads: DiskUpload[] = [];
  private readonly blobKey: StorageSharedKeyCredential;
  private readonly replicationFailures = new Map<string, number>();
  private readonly readOnlySas = new Set<string>();

  constructor(
    private readonly options: { subscription: string; resourceGroups: string[]; blob: BlobAccount },
    private readonly operations: Operations,
  ) {
    this.blobKey = new StorageSharedKeyCredential(options.blob.account, options.blob.key);
  }

  /** The next `times` image versions that replicate to `region` fail there. */
  failReplication(region: string, times = 1): void {
    this.replicationFailures.set(region.toLowerCase(), times);
  }

  /** The next grantAccess of this disk hands out a SAS that cannot write (the upload fails with 403). */
  handOutReadOnlySas(disk: string): void {
    this.readOnlySas.add(disk.toLowerCase());
  }

  get(id: string): Resource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  async handle(request: ComputeRequest, response: ServerResponse): Promise<void> {
    const { method, path } = request;
    let match: RegExpExecArray | null;
    if ((match = ROUTES.diskAction.exec(path)) && method === 'POST') return this.diskAction(request, match, response);
    if ((match = ROUTES.share.exec(path)) && method === 'POST') return this.share(request, match, response);
    if (((match = ROUTES.galleries.exec(path)) || (match = ROUTES.versions.exec(path))) && method === 'GET') {
      this.checkScope(match);
      if (ROUTES.versions.test(path)) this.require(path.replace(/\/versions$/i, ''));
      const prefix = `${path.toLowerCase()}/`;
      const value = [...this.resources.entries()].filter(([id]) => id.startsWith(prefix) && !id.slice(prefix.length).includes('/')).map(([, r]) => this.view(r));
      return json(response, 200, { value });
    }
    for (const kind of ['disk', 'gallery', 'image', 'version'] as const) {
      match = ROUTES[kind].exec(path);
      if (!match) continue;
      this.checkScope(match);
      if (method === 'GET') return json(response, 200, this.view(this.require(path), request.query.get('$expand')));
      if (method === 'PUT') return this.put(kind, request, match, response);
      if (method === 'PATCH' && kind === 'version') return this.updateVersion(request, response);
      if (method === 'DELETE') return this.delete(kind, request, response);
    }
    throw new ArmError(404, 'NotFound', `The fake ARM has no route for ${method} ${path}.`);
  }

  private checkScope(match: RegExpExecArray): void {
    if (match[1] !== this.options.subscription) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${match[1]}' could not be found.`);
    if (!this.options.resourceGroups.some((group) => group.toLowerCase() === match[2]!.toLowerCase())) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${match[2]}' could not be found.`);
    }
  }

  private require(id: string): Resource {
    const resource = this.get(id);
    if (!resource) throw new ArmError(404, 'ResourceNotFound', `The Resource '${id.split('/').slice(-1)[0]}' was not found.`);
    return resource;
  }

  /** What a GET returns; a version's replication status only with `$expand=ReplicationStatus`, as in Azure. */
  private view(resource: Resource, expand?: string | null): Resource {
    if (resource.type !== 'Microsoft.Compute/galleries/images/versions' || expand === 'ReplicationStatus') return resource;
    const { replicationStatus: _, ...properties } = resource.properties;
    return { ...resource, properties };
  }

  private async put(kind: 'disk' | 'gallery' | 'image' | 'version', request: ComputeRequest, match: RegExpExecArray, response: ServerResponse): Promise<void> {
    const body = (request.body ?? {}) as Body;
    if (!body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const id = request.path;
    const existing = this.get(id);
    if (existing && ['Creating', 'Updating', 'Deleting'].includes(existing.properties.provisioningState)) {
      throw new ArmError(409, 'OperationNotAllowed', `Operation on '${existing.name}' is not allowed while it is ${existing.properties.provisioningState}.`);
    }
    const properties = { ...(body.properties ?? {}) };
    const type = {
      disk: 'Microsoft.Compute/disks',
      gallery: 'Microsoft.Compute/galleries',
      image: 'Microsoft.Compute/galleries/images',
      version: 'Microsoft.Compute/galleries/images/versions',
    }[kind];
    if (kind !== 'disk' && kind !== 'gallery') {
      const parent = id.split('/').slice(0, -2).join('/');
      if (!this.get(parent)) throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parent.split('/').pop()}' not found.`);
    }
    if (kind === 'disk') this.validateDisk(properties);
    if (kind === 'image') this.validateImage(properties);
    if (kind === 'version') this.validateVersion(properties);
    if (kind === 'gallery' && properties.sharingProfile?.communityGalleryInfo) {
      properties.sharingProfile = { ...properties.sharingProfile, communityGalleryInfo: { ...properties.sharingProfile.communityGalleryInfo, communityGalleryEnabled: false } };
    }

    const resource: Resource = {
      id,
      name: decodeURIComponent(match[match.length - 1]!),
      type,
      location: body.location,
      tags: body.tags,
      sku: body.sku,
      properties: { ...properties, provisioningState: existing ? 'Updating' : 'Creating' },
    };
    if (kind === 'disk') Object.assign(resource.properties, { diskState: 'ReadyToUpload', diskSizeBytes: properties.creationData.uploadSizeBytes - 512, uniqueId: randomUUID(), timeCreated: new Date().toISOString() });
    if (kind === 'version') {
      resource.properties.replicationStatus = {
        aggregatedState: 'InProgress',
        summary: properties.publishingProfile.targetRegions.map((region: { name: string }) => ({ region: region.name, state: 'Replicating', progress: 0 })),
      };
    }
    this.resources.set(id.toLowerCase(), resource);

    this.operations.start(response, { status: existing ? 200 : 201, body: resource, location: false, subscription: match[1]!, region: body.location, apiVersion: request.apiVersion }, async () => {
      if (request.failOperation) {
        resource.properties.provisioningState = 'Failed';
        return { status: 'Failed', error: { code: 'InternalOperationError', message: `Provisioning of '${resource.name}' failed.` } };
      }
      if (kind === 'version') return this.replicate(resource);
      resource.properties.provisioningState = 'Succeeded';
      return { status: 'Succeeded' };
    });
  }

  /** PATCH of a version: a new publishing profile (e.g. more target regions) replicates it again; the rest stays. */
  private async updateVersion(request: ComputeRequest, response: ServerResponse): Promise<void> {
    const version = this.require(request.path);
    if (version.properties.provisioningState !== 'Succeeded' && version.properties.provisioningState !== 'Failed') {
      throw new ArmError(409, 'OperationNotAllowed', `Operation on '${version.name}' is not allowed while it is ${version.properties.provisioningState}.`);
    }
    const body = (request.body ?? {}) as Body;
    const profile = body.properties?.publishingProfile;
    if (profile?.targetRegions !== undefined && (!Array.isArray(profile.targetRegions) || profile.targetRegions.length === 0)) {
      throw new ArmError(400, 'InvalidParameter', 'At least one target region is required.');
    }
    if (body.tags) version.tags = body.tags;
    version.properties.publishingProfile = { ...version.properties.publishingProfile, ...profile };
    version.properties.provisioningState = 'Updating';
    version.properties.replicationStatus = {
      aggregatedState: 'InProgress',
      summary: version.properties.publishingProfile.targetRegions.map((region: { name: string }) => ({ region: region.name, state: 'Replicating', progress: 0 })),
    };
    const subscription = this.options.subscription;
    this.operations.start(response, { status: 200, body: version, location: false, subscription, region: version.location, apiVersion: request.apiVersion }, () => this.replicate(version));
  }

  private validateDisk(properties: Record<string, any>): void {
    const creation = properties.creationData ?? {};
    if (creation.createOption !== 'Upload') throw new ArmError(400, 'InvalidParameter', 'The fake ARM supports only disks created with createOption Upload.');
    const size = creation.uploadSizeBytes;
    if (!Number.isSafeInteger(size) || size < MiB + 512 || (size - 512) % MiB !== 0) {
      throw new ArmError(400, 'InvalidParameter', `The specified uploadSizeBytes ${size} is invalid: it must be a whole number of MiB plus 512 bytes for the VHD footer.`);
    }
    const security = properties.securityProfile?.securityType;
    if (security && !/^(TrustedLaunch|ConfidentialVM_\w+)$/.test(security)) throw new ArmError(400, 'InvalidParameter', `Unknown securityType '${security}'.`);
    if (security?.startsWith('ConfidentialVM') && properties.hyperVGeneration !== 'V2') {
      throw new ArmError(400, 'InvalidParameter', 'Confidential VM disks require hyperVGeneration V2.');
    }
  }

  private validateImage(properties: Record<string, any>): void {
    const identifier = properties.identifier ?? {};
    for (const field of ['publisher', 'offer', 'sku']) {
      if (!identifier[field]) throw new ArmError(400, 'InvalidParameter', `Required parameter 'identifier.${field}' is missing (null).`);
    }
    if (!['Linux', 'Windows'].includes(properties.osType) || !['Generalized', 'Specialized'].includes(properties.osState)) {
      throw new ArmError(400, 'InvalidParameter', 'osType and osState are required.');
    }
    const security = properties.features?.find((feature: { name: string }) => feature.name === 'SecurityType')?.value;
    if (security && properties.hyperVGeneration !== 'V2') throw new ArmError(400, 'InvalidParameter', `Security type ${security} requires hyperVGeneration V2.`);
  }

  private validateVersion(properties: Record<string, any>): void {
    const regions = properties.publishingProfile?.targetRegions;
    if (!Array.isArray(regions) || regions.length === 0) throw new ArmError(400, 'InvalidParameter', 'At least one target region is required.');
    const sourceId: string | undefined = properties.storageProfile?.osDiskImage?.source?.id ?? properties.storageProfile?.source?.id;
    if (!sourceId) throw new ArmError(400, 'InvalidParameter', 'The image version needs a source.');
    const disk = this.get(sourceId);
    if (!disk) throw new ArmError(404, 'NotFound', `The source disk '${sourceId}' was not found.`);
    if (disk.properties.diskState !== 'Unattached') {
      throw new ArmError(409, 'OperationNotAllowed', `The source disk is in state ${disk.properties.diskState}; an image version needs an Unattached disk.`);
    }
  }

  private async replicate(version: Resource): Promise<Outcome> {
    const summary: Array<Record<string, unknown>> = version.properties.replicationStatus.summary;
    let failed: string | undefined;
    for (const region of summary) {
      const name = String(region.region).toLowerCase();
      const left = this.replicationFailures.get(name) ?? 0;
      if (left > 0) {
        this.replicationFailures.set(name, left - 1);
        failed = String(region.region);
        Object.assign(region, { state: 'Failed', progress: 40, details: `Replication to ${region.region} failed: the regional storage did not respond.` });
      } else {
        Object.assign(region, { state: 'Completed', progress: 100 });
      }
    }
    version.properties.replicationStatus.aggregatedState = failed ? 'Failed' : 'Completed';
    version.properties.provisioningState = failed ? 'Failed' : 'Succeeded';
    return failed
      ? { status: 'Failed', error: { code: 'ReplicationFailed', message: `Replication of the gallery image version to region ${failed} failed.` } }
      : { status: 'Succeeded' };
  }

  private async delete(kind: string, request: ComputeRequest, response: ServerResponse): Promise<void> {
    const resource = this.get(request.path);
    if (!resource) return json(response, 204, undefined);
    if (kind === 'disk' && ['ActiveUpload', 'ActiveSAS'].includes(resource.properties.diskState)) {
      throw new ArmError(409, 'OperationNotAllowed', `Disk ${resource.name} is in ${resource.properties.diskState} state; revoke access before deleting it.`);
    }
    if (kind !== 'disk' && [...this.resources.keys()].some((id) => id.startsWith(`${request.path.toLowerCase()}/`))) {
      throw new ArmError(409, 'CannotDeleteResource', `Can not delete resource before nested resources are deleted.`);
    }
    resource.properties.provisioningState = 'Deleting';
    this.operations.start(response, { status: 202, location: true, subscription: this.options.subscription, region: resource.location, apiVersion: request.apiVersion }, async () => {
      this.resources.delete(request.path.toLowerCase());
      if (resource.properties.blobName) await this.container().getPageBlobClient(resource.properties.blobName).deleteIfExists();
      return { status: 'Succeeded' };
    });
  }

  private async diskAction(request: ComputeRequest, match: RegExpExecArray, response: ServerResponse): Promise<void> {
    this.checkScope(match);
    const disk = this.require(request.path.replace(/\/[^/]+$/, ''));
    const grant = match[4]!.toLowerCase() === 'begingetaccess';
    const state = disk.properties.diskState;
    if (grant) {
      const access = (request.body as { access?: string } | undefined)?.access;
      if (access !== 'Write') throw new ArmError(400, 'InvalidParameter', 'The fake ARM supports only Write access (upload).');
      if (state !== 'ReadyToUpload') throw new ArmError(409, 'OperationNotAllowed', `Disk ${disk.name} is in state ${state}; upload access needs ReadyToUpload.`);
    }
    const start = { status: 202 as const, location: true, subscription: this.options.subscription, region: disk.location, apiVersion: request.apiVersion };
    this.operations.start(response, start, async () => {
      if (request.failOperation) return { status: 'Failed', error: { code: 'InternalOperationError', message: 'The disk operation failed.' } };
      return grant ? this.openForUpload(disk) : this.closeUpload(disk);
    });
  }

  /** grantAccess(Write): a page blob of the upload size in Azurite, and a SAS URL for it. */
  private async openForUpload(disk: Resource): Promise<Outcome> {
    const container = this.container();
    await container.createIfNotExists();
    const blobName = `${disk.name}-${randomUUID()}.vhd`;
    await container.getPageBlobClient(blobName).create(disk.properties.creationData.uploadSizeBytes);
    const permissions = this.readOnlySas.delete(disk.name.toLowerCase()) ? 'r' : 'w';
    const sas = generateBlobSASQueryParameters(
      { containerName: CONTAINER, blobName, permissions: BlobSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3600_000) },
      this.blobKey,
    );
    Object.assign(disk.properties, { diskState: 'ActiveUpload', blobName });
    return { status: 'Succeeded', output: { accessSAS: `${container.getPageBlobClient(blobName).url}?${sas}` } };
  }

  /** revokeAccess: the disk holds what was uploaded; the fake notes which pages were written and what they hold. */
  private async closeUpload(disk: Resource): Promise<Outcome> {
    if (disk.properties.diskState === 'ActiveUpload') {
      const blob = this.container().getPageBlobClient(disk.properties.blobName);
      // The SDK reports a range's count as end - start of an inclusive end: one byte short of its length.
      const ranges = ((await blob.getPageRanges()).pageRange ?? []).map((range): [number, number] => [range.offset, range.count! + 1]);
      const size = disk.properties.creationData.uploadSizeBytes;
      const hash = createHash('sha256');
      for (const [offset, length] of ranges) {
        // Only written pages are read back: a sparse disk of many GiB stays cheap to check.
        const end = Math.min(offset + length, size - 512);
        if (end > offset) hash.update(await blob.downloadToBuffer(offset, end - offset));
      }
      const footer = await blob.downloadToBuffer(size - 512, 512);
      this.uploads.push({ disk: disk.name, ranges, writtenBytes: ranges.reduce((sum, [, length]) => sum + length, 0), dataSha256: hash.digest('hex'), footer });
    }
    disk.properties.diskState = 'Unattached';
    return { status: 'Succeeded' };
  }

  private async share(request: ComputeRequest, match: RegExpExecArray, response: ServerResponse): Promise<void> {
    this.checkScope(match);
    const gallery = this.require(request.path.replace(/\/share$/i, ''));
    const operationType = (request.body as { operationType?: string } | undefined)?.operationType;
    const info = gallery.properties.sharingProfile?.communityGalleryInfo;
    if (operationType !== 'EnableCommunity') throw new ArmError(400, 'InvalidParameter', 'The fake ARM supports only operationType EnableCommunity.');
    if (gallery.properties.sharingProfile?.permissions !== 'Community' || !info) {
      throw new ArmError(400, 'InvalidParameter', 'A gallery must be created with sharingProfile.permissions Community and communityGalleryInfo before it is shared.');
    }
    this.operations.start(response, { status: 202, location: true, subscription: this.options.subscription, region: gallery.location, apiVersion: request.apiVersion }, async () => {
      Object.assign(info, { communityGalleryEnabled: true, publicNames: [`${info.publicNamePrefix}-${randomUUID()}`] });
      return { status: 'Succeeded', output: { operationType } };
    });
  }

  private container() {
    return new BlobServiceClient(this.options.blob.url, this.blobKey).getContainerClient(CONTAINER);
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body === undefined ? '' : JSON.stringify(body));
}
