import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { escapeXml, list, parseQuery, strings, struct, text, toXml, type QueryParams, type QueryValue, type XmlValue } from './query.js';

/**
 * A fake EC2 for the AWS upload step's tests: the actions the step calls, over EC2's Query protocol (POST /,
 * form-encoded, Version=2016-11-15, lowerCamel XML, `<xxxSet><item>` lists, errors as HTTP 4xx/5xx
 * `<Response><Errors><Error><Code>`), the region taken from the SigV4 credential scope, asynchronous states that
 * advance each time a caller looks, and injected failures. ImportSnapshot reads the disk from the S3 server the
 * fake is given, so a test proves that the upload happened: RAW as it is, VMDK decoded by qemu-img (`check`, then
 * `convert -O raw`), so what the snapshot records is the disk EC2 would have imported, whatever the format.
 */

const run = promisify(execFile);
const FORMATS = new Set(['RAW', 'VMDK']);

const API_VERSION = '2016-11-15';
const ACCOUNT = '123456789012';
const GiB = 1024 ** 3;

export interface FakeEc2Options {
  /** The S3 server ImportSnapshot reads from (s3rver in tests). */
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** Regions this account has; `not-opted-in` ones exist but are disabled. */
  regions?: { name: string; optInStatus?: 'opt-in-not-required' | 'opted-in' | 'not-opted-in' }[];
  /** Describe calls an import task takes from pending to completed. */
  importPolls?: number;
  /** Describe calls an AMI stays pending. */
  imagePolls?: number;
}

/** A failure to inject: the next `times` requests that match fail with `code`. */
export interface FailureRule {
  action?: string;
  region?: string;
  /** Only requests whose parameters contain this text (e.g. an image id). */
  matching?: (params: QueryParams) => boolean;
  code: string;
  status?: number;
  times?: number;
  /** `after`: do the work, then answer with the error (a lost answer); default `before`. */
  when?: 'before' | 'after';
}

export interface FakeImportTask {
  importTaskId: string;
  region: string;
  description: string;
  clientToken?: string;
  status: 'pending' | 'active' | 'completed' | 'deleting' | 'deleted';
  statusMessage?: string;
  progress?: string;
  pollsLeft: number;
  endsDeleted: boolean;
  bucket: string;
  key: string;
  format: string;
  snapshotId?: string;
  tags: Map<string, string>;
}

export interface FakeSnapshot {
  snapshotId: string;
  region: string;
  volumeSize: number;
  /** What ImportSnapshot read from S3: the proof of the upload. */
  importedFormat?: string;
  importedBytes?: number;
  /** The disk decoded from it: its size and SHA-256 (for RAW the object itself). */
  diskBytes?: number;
  importedSha256?: string;
}

export interface FakeImage {
  imageId: string;
  region: string;
  name: string;
  state: 'pending' | 'available';
  pollsLeft: number;
  snapshotId: string;
  /** Calls that still answer InvalidAMIID.NotFound, as EC2 does right after an AMI appears. */
  invisibleFor: number;
  attributes: Record<string, string | boolean | undefined>;
  sourceImageId?: string;
  clientToken?: string;
  launchGroups: Set<string>;
}

/** Every request, in order, for counting and ordering checks. */
export interface RequestRecord {
  action: string;
  region: string;
  params: QueryParams;
  /** The error answered, if any. */
  error?: string;
  /** For ModifyImageAttribute: the image's state when it arrived. */
  imageState?: string;
}

export class FakeEc2 {
  readonly importTasks: FakeImportTask[] = [];
  readonly snapshots: FakeSnapshot[] = [];
  readonly images: FakeImage[] = [];
  readonly tags = new Map<string, Map<string, string>>();
  readonly requests: RequestRecord[] = [];
  /** Set to make the next import tasks end `deleted`, as they do when the vmimport role is missing. */
  importsEndDeleted = false;
  /** Calls that answer InvalidAMIID.NotFound for each new AMI. */
  newImagesInvisibleFor = 0;
  /** Set to throttle: every request for which this returns true answers RequestLimitExceeded. */
  throttle?: (sequence: number) => boolean;
  endpoint = '';

  private readonly rules: FailureRule[] = [];
  private readonly server: Server;
  private readonly s3: S3Client;
  private readonly regions: NonNullable<FakeEc2Options['regions']>;
  private readonly importPolls: number;
  private readonly imagePolls: number;
  private sequence = 0;

  constructor(options: FakeEc2Options) {
    this.regions = options.regions ?? [
      { name: 'us-east-1' },
      { name: 'us-west-2' },
      { name: 'eu-west-1' },
      { name: 'eu-central-1' },
      { name: 'ap-east-1', optInStatus: 'not-opted-in' },
    ];
    this.importPolls = options.importPolls ?? 3;
    this.imagePolls = options.imagePolls ?? 2;
    this.s3 = new S3Client({
      region: 'us-east-1',
      endpoint: options.s3.endpoint,
      forcePathStyle: true,
      credentials: options.s3.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
        res.end(body);
      });
    });
  }

  static async start(options: FakeEc2Options): Promise<FakeEc2> {
    const fake = new FakeEc2(options);
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    fake.endpoint = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
    this.s3.destroy();
  }

  inject(rule: FailureRule): void {
    this.rules.push({ times: 1, status: 400, when: 'before', ...rule });
  }

  /** Resources of a kind in a region, for "no duplicates" checks. */
  imagesIn(region: string): FakeImage[] {
    return this.images.filter((image) => image.region === region);
  }

  calls(action: string, region?: string): RequestRecord[] {
    return this.requests.filter((request) => request.action === action && (!region || request.region === region) && !request.error);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = parseQuery(Buffer.concat(chunks).toString('utf8'));
    const action = text(params.Action) ?? '';
    const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/ec2\/aws4_request/.exec(req.headers.authorization ?? '')?.[1];
    const record: RequestRecord = { action, region: region ?? '', params };
    this.requests.push(record);
    const sequence = this.sequence++;
    try {
      if (req.method !== 'POST' || req.url !== '/') throw new Ec2Error('InvalidAction', `expected POST /, got ${req.method} ${req.url}`);
      if (!region) throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      if (text(params.Version) !== API_VERSION) throw new Ec2Error('InvalidParameterValue', `unsupported Version ${text(params.Version)}`);
      if (this.throttle?.(sequence)) throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
      const rule = this.takeRule(action, region, params);
      if (rule?.when === 'before') throw new Ec2Error(rule.code, `injected ${rule.code}`, rule.status);
      const handler = this.handlers[action];
      if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      const result = await handler(params, region, record);
      if (rule) throw new Ec2Error(rule.code, `injected ${rule.code} after the work was done`, rule.status);
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/${API_VERSION}/">` +
        `<requestId>${randomUUID()}</requestId>${toXml(result)}</${action}Response>`;
      return { status: 200, body };
    } catch (error) {
      const failure = error instanceof Ec2Error ? error : new Ec2Error('InternalError', String(error), 500);
      record.error = failure.code;
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>' +
        `<Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message></Error></Errors>` +
        `<RequestID>${randomUUID()}</RequestID></Response>`;
      return { status: failure.status, body };
    }
  }

  private takeRule(action: string, region: string, params: QueryParams): FailureRule | undefined {
    const rule = this.rules.find(
      (candidate) =>
        (candidate.times ?? 0) > 0 &&
        (!candidate.action || candidate.action === action) &&
        (!candidate.region || candidate.region === region) &&
        (!candidate.matching || candidate.matching(params)),
    );
    if (rule) rule.times = (rule.times ?? 1) - 1;
    return rule;
  }

  private readonly handlers: Record<string, (params: QueryParams, region: string, record: RequestRecord) => Promise<{ [key: string]: XmlValue }>> = {
    DescribeRegions: async (params) => {
      const wanted = strings(params.RegionName);
      const all = text(params.AllRegions) === 'true';
      for (const name of wanted) {
        if (!this.regions.some((region) => region.name === name)) throw new Ec2Error('InvalidParameterValue', `Invalid region: ${name}`);
      }
      const regions = this.regions.filter(
        (region) => (wanted.length === 0 || wanted.includes(region.name)) && (all || region.optInStatus !== 'not-opted-in'),
      );
      return {
        regionInfo: regions.map((region) => ({
          regionName: region.name,
          regionEndpoint: `ec2.${region.name}.amazonaws.com`,
          optInStatus: region.optInStatus ?? 'opt-in-not-required',
        })),
      };
    },

    ImportSnapshot: async (params, region) => {
      const token = text(params.ClientToken);
      const earlier = token && this.importTasks.find((task) => task.clientToken === token && task.region === region);
      if (earlier) return importTaskXml(earlier);
      const disk = struct(params.DiskContainer);
      const bucket = struct(disk.UserBucket);
      const format = text(disk.Format)?.toUpperCase() ?? '';
      if (!FORMATS.has(format)) throw new Ec2Error('InvalidParameter', `this fake imports RAW and VMDK disks, not "${format}"`);
      if (!text(params.RoleName)) throw new Ec2Error('InvalidParameter', 'expected a RoleName');
      const task: FakeImportTask = {
        importTaskId: `import-snap-${hex(17)}`,
        region,
        description: text(params.Description) ?? '',
        clientToken: token,
        status: 'pending',
        pollsLeft: this.importPolls,
        endsDeleted: this.importsEndDeleted,
        bucket: text(bucket.S3Bucket) ?? '',
        key: text(bucket.S3Key) ?? '',
        format,
        tags: tagsOf(params, 'import-snapshot-task'),
      };
      this.importTasks.push(task);
      return importTaskXml(task);
    },

    DescribeImportSnapshotTasks: async (params, region) => {
      const ids = strings(params.ImportTaskId);
      const tasks = this.importTasks.filter((task) => task.region === region && (ids.length === 0 || ids.includes(task.importTaskId)));
      const missing = ids.find((id) => !tasks.some((task) => task.importTaskId === id));
      if (missing) throw new Ec2Error('InvalidConversionTaskId.Malformed', `The import task ${missing} does not exist`);
      for (const task of tasks) await this.advanceImport(task);
      return { importSnapshotTaskSet: tasks.map((task) => importTaskXml(task)) };
    },

    DescribeSnapshots: async (params, region) => {
      const ids = strings(params.SnapshotId);
      const filters = filtersOf(params);
      const snapshots = this.snapshots.filter(
        (snapshot) =>
          snapshot.region === region &&
          (ids.length === 0 || ids.includes(snapshot.snapshotId)) &&
          this.matches(snapshot.snapshotId, {}, filters),
      );
      const missing = ids.find((id) => !snapshots.some((snapshot) => snapshot.snapshotId === id));
      if (missing) throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${missing}' does not exist.`);
      return {
        snapshotSet: snapshots.map((snapshot) => ({
          snapshotId: snapshot.snapshotId,
          volumeSize: snapshot.volumeSize,
          status: 'completed',
          ownerId: ACCOUNT,
          tagSet: this.tagSet(snapshot.snapshotId),
        })),
      };
    },

    CreateTags: async (params, region) => {
      const resources = strings(params.ResourceId);
      for (const id of resources) this.visible(id, region);
      for (const id of resources) for (const [key, value] of tagsOf({ TagSpecification: [{ Tag: params.Tag ?? [] }] })) this.tag(id, key, value);
      return { return: true };
    },

    RegisterImage: async (params, region) => {
      const name = text(params.Name) ?? '';
      if (!/^[a-zA-Z0-9 ()[\]./'@_-]{3,128}$/.test(name)) throw new Ec2Error('InvalidAMIName.Malformed', `AMI name ${name} is invalid`);
      if (this.imagesIn(region).some((image) => image.name === name)) {
        throw new Ec2Error('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by an AMI`);
      }
      const mapping = struct(list(params.BlockDeviceMapping)[0]);
      const snapshotId = text(struct(mapping.Ebs).SnapshotId) ?? '';
      if (!this.snapshots.some((snapshot) => snapshot.snapshotId === snapshotId && snapshot.region === region)) {
        throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
      }
      const image = this.addImage(region, name, snapshotId, {
        architecture: text(params.Architecture),
        virtualizationType: text(params.VirtualizationType),
        bootMode: text(params.BootMode),
        tpmSupport: text(params.TpmSupport),
        imdsSupport: text(params.ImdsSupport),
        enaSupport: text(params.EnaSupport) === 'true',
        rootDeviceName: text(params.RootDeviceName),
        deviceName: text(mapping.DeviceName),
        volumeType: text(struct(mapping.Ebs).VolumeType),
        deleteOnTermination: text(struct(mapping.Ebs).DeleteOnTermination) === 'true',
        uefiData: text(params.UefiData),
      });
      for (const [key, value] of tagsOf(params, 'image')) this.tag(image.imageId, key, value);
      return { imageId: image.imageId };
    },

    CopyImage: async (params, region) => {
      const token = text(params.ClientToken);
      const earlier = token && this.images.find((image) => image.clientToken === token && image.region === region);
      if (earlier) return { imageId: earlier.imageId };
      const sourceRegion = text(params.SourceRegion) ?? '';
      const source = this.images.find((image) => image.imageId === text(params.SourceImageId) && image.region === sourceRegion);
      if (!source) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${text(params.SourceImageId)}]' does not exist`);
      if (source.state !== 'available') throw new Ec2Error('IncorrectState', `The image ${source.imageId} is not available`);
      const name = text(params.Name) ?? source.name;
      if (this.imagesIn(region).some((image) => image.name === name)) {
        throw new Ec2Error('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by an AMI`);
      }
      const snapshot = this.addSnapshot(region, this.snapshots.find((candidate) => candidate.snapshotId === source.snapshotId)!.volumeSize);
      const image = this.addImage(region, name, snapshot.snapshotId, { ...source.attributes });
      image.sourceImageId = source.imageId;
      image.clientToken = token;
      if (text(params.CopyImageTags) === 'true') {
        for (const [key, value] of this.tags.get(source.imageId) ?? []) this.tag(image.imageId, key, value);
      }
      return { imageId: image.imageId };
    },

    DescribeImages: async (params, region) => {
      const ids = strings(params.ImageId);
      const filters = filtersOf(params);
      for (const id of ids) this.visible(id, region);
      const images = this.imagesIn(region).filter(
        (image) => (ids.length === 0 || ids.includes(image.imageId)) && this.matches(image.imageId, { name: image.name }, filters),
      );
      for (const image of images) this.advanceImage(image);
      return {
        imagesSet: images.map((image) => ({
          imageId: image.imageId,
          name: image.name,
          imageState: image.state,
          imageOwnerId: ACCOUNT,
          isPublic: image.launchGroups.has('all'),
          architecture: image.attributes.architecture as string,
          bootMode: image.attributes.bootMode as string,
          tpmSupport: image.attributes.tpmSupport as string,
          imdsSupport: image.attributes.imdsSupport as string,
          enaSupport: image.attributes.enaSupport as boolean,
          virtualizationType: image.attributes.virtualizationType as string,
          rootDeviceName: image.attributes.rootDeviceName as string,
          rootDeviceType: 'ebs',
          blockDeviceMapping: [
            {
              deviceName: image.attributes.deviceName as string,
              ebs: {
                snapshotId: image.snapshotId,
                volumeType: image.attributes.volumeType as string,
                deleteOnTermination: image.attributes.deleteOnTermination as boolean,
              },
            },
          ],
          tagSet: this.tagSet(image.imageId),
        })),
      };
    },

    ModifyImageAttribute: async (params, region, record) => {
      const image = this.visible(text(params.ImageId) ?? '', region)!;
      record.imageState = image.state;
      if (image.state !== 'available') throw new Ec2Error('InvalidAMIID.Unavailable', `The image ${image.imageId} is not available yet`);
      for (const permission of list(struct(params.LaunchPermission).Add)) {
        const group = text(struct(permission).Group);
        if (group) image.launchGroups.add(group);
      }
      return { return: true };
    },

    DescribeImageAttribute: async (params, region) => {
      const image = this.visible(text(params.ImageId) ?? '', region)!;
      if (text(params.Attribute) !== 'launchPermission') throw new Ec2Error('InvalidParameterValue', 'this fake knows launchPermission only');
      return { imageId: image.imageId, launchPermission: [...image.launchGroups].map((group) => ({ group })) };
    },
  };

  /** pending → active (with progress) → completed, one step per look; the S3 object is read on the way. */
  private async advanceImport(task: FakeImportTask): Promise<void> {
    if (task.status === 'completed' || task.status === 'deleted') return;
    if (task.status === 'deleting') {
      task.status = 'deleted';
      return;
    }
    task.pollsLeft--;
    if (task.status === 'pending') {
      task.status = 'active';
      task.statusMessage = 'validating';
      const read = await this.readObject(task.bucket, task.key, task.format);
      if (!read || 'invalid' in read || task.endsDeleted) {
        task.status = 'deleting';
        task.statusMessage = !read
          ? `ClientError: Unable to read the disk image from S3: s3://${task.bucket}/${task.key} does not exist`
          : 'invalid' in read
            ? `ClientError: Unsupported ${task.format} File Format: ${read.invalid}`
            : 'ClientError: The service role vmimport provided does not exist or does not have sufficient permissions';
        return;
      }
      const snapshot = this.addSnapshot(task.region, Math.max(1, Math.ceil(read.diskBytes / GiB)));
      snapshot.importedFormat = task.format;
      snapshot.importedBytes = read.bytes;
      snapshot.diskBytes = read.diskBytes;
      snapshot.importedSha256 = read.sha256;
      task.snapshotId = snapshot.snapshotId;
    }
    task.progress = String(Math.min(99, Math.round(100 * (1 - task.pollsLeft / this.importPolls))));
    task.statusMessage = 'converting';
    if (task.pollsLeft <= 0) {
      task.status = 'completed';
      task.statusMessage = undefined;
      task.progress = undefined;
    }
  }

  private advanceImage(image: FakeImage): void {
    if (image.state === 'pending' && --image.pollsLeft <= 0) image.state = 'available';
  }

  /** The object's size and the decoded disk's size and SHA-256; `invalid` when qemu-img rejects a VMDK. */
  private async readObject(
    bucket: string,
    key: string,
    format: string,
  ): Promise<{ bytes: number; diskBytes: number; sha256: string } | { invalid: string } | undefined> {
    let object;
    try {
      object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
    const dir = await mkdtemp(join(tmpdir(), 'fake-ec2-import-'));
    try {
      const uploaded = join(dir, `disk.${format.toLowerCase()}`);
      await pipeline(object.Body as NodeJS.ReadableStream, createWriteStream(uploaded));
      const bytes = (await stat(uploaded)).size;
      let disk = uploaded;
      if (format === 'VMDK') {
        disk = join(dir, 'disk.raw');
        try {
          const { stdout } = await run('qemu-img', ['info', '--output=json', uploaded]);
          const info = JSON.parse(stdout) as { format: string; 'format-specific'?: { data?: { 'create-type'?: string } } };
          const createType = info['format-specific']?.data?.['create-type'];
          if (info.format !== 'vmdk' || createType !== 'streamOptimized') return { invalid: `${info.format}, ${createType ?? 'no create type'}` };
          await run('qemu-img', ['check', '-f', 'vmdk', uploaded]);
          await run('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', uploaded, disk]);
        } catch (error) {
          return { invalid: ((error as { stderr?: string }).stderr ?? String(error)).trim() };
        }
      }
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(disk)) hash.update(chunk as Buffer);
      return { bytes, diskBytes: (await stat(disk)).size, sha256: hash.digest('hex') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private addSnapshot(region: string, volumeSize: number): FakeSnapshot {
    const snapshot = { snapshotId: `snap-${hex(17)}`, region, volumeSize };
    this.snapshots.push(snapshot);
    return snapshot;
  }

  private addImage(region: string, name: string, snapshotId: string, attributes: FakeImage['attributes']): FakeImage {
    const image: FakeImage = {
      imageId: `ami-${hex(17)}`,
      region,
      name,
      state: 'pending',
      pollsLeft: this.imagePolls,
      snapshotId,
      invisibleFor: this.newImagesInvisibleFor,
      attributes,
      launchGroups: new Set(),
    };
    this.images.push(image);
    return image;
  }

  /** The image or snapshot by id, as EC2 sees it: unknown ids, and new AMIs for a while, are NotFound. */
  private visible(id: string, region: string): FakeImage | undefined {
    if (id.startsWith('snap-')) {
      if (!this.snapshots.some((snapshot) => snapshot.snapshotId === id && snapshot.region === region)) {
        throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      }
      return undefined;
    }
    const image = this.images.find((candidate) => candidate.imageId === id && candidate.region === region);
    if (!image || image.invisibleFor-- > 0) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
    return image;
  }

  private tag(id: string, key: string, value: string): void {
    if (!this.tags.has(id)) this.tags.set(id, new Map());
    this.tags.get(id)!.set(key, value);
  }

  private tagSet(id: string): XmlValue[] {
    return [...(this.tags.get(id) ?? [])].map(([key, value]) => ({ key, value }));
  }

  private matches(id: string, fields: Record<string, string>, filters: { name: string; values: string[] }[]): boolean {
    return filters.every((filter) => {
      if (filter.name.startsWith('tag:')) return filter.values.includes(this.tags.get(id)?.get(filter.name.slice(4)) ?? '\0');
      if (filter.name in fields) return filter.values.includes(fields[filter.name]!);
      throw new Ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    });
  }
}

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = code === 'RequestLimitExceeded' ? 503 : 400,
  ) {
    super(message);
  }
}

function importTaskXml(task: FakeImportTask): { [key: string]: XmlValue } {
  return {
    importTaskId: task.importTaskId,
    description: task.description,
    snapshotTaskDetail: {
      status: task.status,
      statusMessage: task.statusMessage,
      progress: task.progress,
      snapshotId: task.snapshotId,
      format: 'RAW',
      userBucket: { s3Bucket: task.bucket, s3Key: task.key },
    },
    tagSet: [...task.tags].map(([key, value]) => ({ key, value })),
  };
}

function filtersOf(params: QueryParams): { name: string; values: string[] }[] {
  return [...list(params.Filter), ...list(params.Filters)].map((filter) => ({
    name: text(struct(filter).Name) ?? '',
    values: strings(struct(filter).Value),
  }));
}

function tagsOf(params: QueryParams, resourceType?: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const spec of list(params.TagSpecification)) {
    const type = text(struct(spec).ResourceType);
    if (resourceType && type && type !== resourceType) continue;
    for (const tag of list(struct(spec).Tag as QueryValue)) tags.set(text(struct(tag).Key) ?? '', text(struct(tag).Value) ?? '');
  }
  return tags;
}

function hex(length: number): string {
  return randomUUID().replace(/-/g, '').slice(0, length);
}
