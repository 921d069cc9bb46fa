import type { ServerResponse } from 'node:http';
import { GoogleFake, HttpError, readJson, sendJson, type Handler } from '../google-http.js';
import { diskSizeOfArchive } from './disk-archive.js';

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const GUEST_OS_FEATURES = new Set([
  'UEFI_COMPATIBLE', 'GVNIC', 'VIRTIO_SCSI_MULTIQUEUE', 'SEV_CAPABLE', 'SEV_SNP_CAPABLE', 'SEV_LIVE_MIGRATABLE',
  'SEV_LIVE_MIGRATABLE_V2', 'TDX_CAPABLE', 'IDPF', 'MULTI_IP_SUBNET', 'SECURE_BOOT', 'WINDOWS',
]);

type Json = Record<string, unknown>;

interface Operation {
  project: string;
  resource: Json;
  waiters: Array<() => void>;
}

interface Policy {
  version: number;
  etag: string;
  bindings: Array<{ role: string; members: string[] }>;
}

export interface FakeGceOptions {
  token: string;
  projects: string[];
  /** Where `https://storage.googleapis.com/<bucket>/<object>` sources are fetched from: the fake GCS. */
  storageBaseUrl: string;
  /** How long an operation stays in each of PENDING and RUNNING. */
  stepMs?: number;
  /** How long operations.wait holds a request before it answers with the current state (GCE: 2 minutes). */
  waitMs?: number;
}

/**
 * A Compute Engine fake speaking the REST API v1 (https://cloud.google.com/compute/docs/reference/rest/v1) that
 * @google-cloud/compute's REST transport uses: images insert/get/list/delete, getIamPolicy/setIamPolicy, and
 * globalOperations get/wait. Writes return an Operation that moves PENDING → RUNNING → DONE on its own; a failed
 * one ends DONE with an `error` field (the HTTP request itself succeeded), as GCE does. images.insert imports the
 * rawDisk source for real: it downloads the object from the fake GCS and checks that it is a gzip'd tar holding
 * disk.raw of a whole number of GiB; a failed import leaves the image in status FAILED. A write that carries a
 * `requestId` GCE has seen answers with the operation of the first request, as GCE does, so a retried write is safe.
 */
export class FakeGce extends GoogleFake {
  private readonly projects: Set<string>;
  private readonly images = new Map<string, Json>();
  private readonly policies = new Map<string, Policy>();
  private readonly operations = new Map<string, Operation>();
  /** requestId → the operation its first request started. */
  private readonly requestIds = new Map<string, Json>();
  private readonly importFailures: string[] = [];
  private nextId = 4_000_000_000_000_000_000n;
  private readonly stepMs: number;
  private readonly waitMs: number;
  private stopped = false;

  constructor(private readonly options: FakeGceOptions) {
    super(options.token);
    this.projects = new Set(options.projects);
    this.stepMs = options.stepMs ?? 20;
    this.waitMs = options.waitMs ?? 100;
  }

  /** The next image import fails with this message, as GCE reports it in the DONE operation. */
  failNextImport(message: string): void {
    this.importFailures.push(message);
  }

  image(project: string, name: string): Json | undefined {
    return this.images.get(`${project}/${name}`);
  }

  imageNames(project: string): string[] {
    return [...this.images.keys()].filter((key) => key.startsWith(`${project}/`)).map((key) => key.slice(project.length + 1));
  }

  policy(project: string, name: string): Policy | undefined {
    return this.policies.get(`${project}/${name}`);
  }

  /** Puts an image in place as if an earlier run or someone else had made it. */
  seedImage(project: string, image: Json): void {
    this.images.set(`${project}/${String(image.name)}`, { status: 'READY', ...image, kind: 'compute#image', id: String(this.nextId++) });
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    for (const operation of this.operations.values()) for (const wake of operation.waiters.splice(0)) wake();
    await super.stop();
  }

  protected handle: Handler = async (request, url, response) => {
    const match = url.pathname.match(/^\/compute\/v1\/projects\/([^/]+)\/global\/(images|operations)(?:\/([^/]+))?(?:\/([^/]+))?$/);
    if (!match) throw new HttpError(404, `Not Found: ${request.method} ${url.pathname}`);
    const [, project, collection, name, verb] = match as unknown as [string, string, string, string | undefined, string | undefined];
    if (!this.projects.has(project)) throw new HttpError(404, `The resource 'projects/${project}' was not found`);
    const route = `${request.method} ${collection}${name ? '/:name' : ''}${verb ? `/${verb}` : ''}`;
    switch (route) {
      case 'GET images':
        return sendJson(response, 200, this.listImages(project, url.searchParams.get('filter')));
      case 'POST images':
        return sendJson(response, 200, await this.once(url, async () => this.insertImage(project, await readJson<Json>(request))));
      case 'GET images/:name':
        return sendJson(response, 200, this.existingImage(project, name!));
      case 'DELETE images/:name':
        return sendJson(response, 200, await this.once(url, async () => this.deleteImage(project, name!)));
      case 'GET images/:name/getIamPolicy':
        this.existingImage(project, name!);
        return sendJson(response, 200, this.policyOf(project, name!));
      case 'POST images/:name/setIamPolicy':
        return sendJson(response, 200, this.setPolicy(project, name!, await readJson(request)));
      case 'GET operations/:name':
        return sendJson(response, 200, this.operation(project, name!).resource);
      case 'POST operations/:name/wait':
        return this.waitFor(project, name!, response);
      default:
        throw new HttpError(404, `Not Found: ${route}`);
    }
  };

  /** A write with a requestId runs once; repeats get the first one's operation, in its current state. */
  private async once(url: URL, write: () => Promise<Json>): Promise<Json> {
    const requestId = url.searchParams.get('requestId');
    const earlier = requestId ? this.requestIds.get(requestId) : undefined;
    if (earlier) return { ...this.operations.get(String(earlier.name))!.resource };
    const operation = await write();
    if (requestId) this.requestIds.set(requestId, operation);
    return operation;
  }

  private existingImage(project: string, name: string): Json {
    const image = this.images.get(`${project}/${name}`);
    if (!image) throw new HttpError(404, `The resource 'projects/${project}/global/images/${name}' was not found`);
    return image;
  }

  /** Supports the one filter form this project uses: `name = "x"`. */
  private listImages(project: string, filter: string | null): Json {
    const wanted = filter ? filter.match(/^name\s*=\s*"?([^"]*)"?$/)?.[1] : undefined;
    if (filter && wanted === undefined) throw new HttpError(400, `Invalid value for field 'filter': '${filter}'.`);
    const items = this.imageNames(project)
      .filter((name) => wanted === undefined || name === wanted)
      .map((name) => this.images.get(`${project}/${name}`)!);
    return { kind: 'compute#imageList', id: `projects/${project}/global/images`, items, selfLink: `${this.baseUrl}/compute/v1/projects/${project}/global/images` };
  }

  private insertImage(project: string, body: Json): Json {
    const name = String(body.name ?? '');
    if (!NAME.test(name)) throw new HttpError(400, `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    if (body.family !== undefined && !NAME.test(String(body.family))) throw new HttpError(400, `Invalid value for field 'resource.family': '${String(body.family)}'.`);
    for (const [key, value] of Object.entries((body.labels ?? {}) as Record<string, string>)) {
      if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) throw new HttpError(400, `Invalid value for field 'resource.labels': '${key}=${value}'.`);
    }
    for (const feature of (body.guestOsFeatures ?? []) as Array<{ type?: string }>) {
      if (!GUEST_OS_FEATURES.has(String(feature.type))) throw new HttpError(400, `Invalid value for field 'resource.guestOsFeatures[].type': '${String(feature.type)}'.`);
    }
    const source = String((body.rawDisk as Json | undefined)?.source ?? '');
    const object = source.match(/^https:\/\/storage\.googleapis\.com\/([^/]+)\/(.+)$/);
    if (!object) throw new HttpError(400, `Invalid value for field 'resource.rawDisk.source': '${source}'. Expected https://storage.googleapis.com/<bucket>/<object>.`);
    if (this.images.has(`${project}/${name}`)) throw new HttpError(409, `The resource 'projects/${project}/global/images/${name}' already exists`);
    const image: Json = {
      ...body,
      kind: 'compute#image',
      id: String(this.nextId++),
      creationTimestamp: new Date().toISOString(),
      selfLink: `${this.baseUrl}/compute/v1/projects/${project}/global/images/${name}`,
      sourceType: 'RAW',
      rawDisk: { ...(body.rawDisk as Json), containerType: 'TAR' },
      status: 'PENDING',
      labelFingerprint: '42WmSpB8rSM=',
    };
    this.images.set(`${project}/${name}`, image);
    const failure = this.importFailures.shift();
    return this.startOperation(project, 'insert', `projects/${project}/global/images/${name}`, async () => {
      if (failure) throw new Error(failure);
      const download = await fetch(`${this.options.storageBaseUrl}/storage/v1/b/${object[1]}/o/${encodeURIComponent(object[2]!)}?alt=media`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      if (!download.ok) throw new Error(`The resource '${source}' of type 'rawDisk.source' was not found or is not accessible.`);
      const archive = Buffer.from(await download.arrayBuffer());
      const size = diskSizeOfArchive(archive);
      image.archiveSizeBytes = String(archive.length);
      image.diskSizeGb = String(size / 2 ** 30);
      image.status = 'READY';
    }, (error) => {
      image.status = 'FAILED';
      return error.message;
    });
  }

  private deleteImage(project: string, name: string): Json {
    this.existingImage(project, name);
    return this.startOperation(project, 'delete', `projects/${project}/global/images/${name}`, async () => {
      this.images.delete(`${project}/${name}`);
      this.policies.delete(`${project}/${name}`);
    });
  }

  private policyOf(project: string, name: string): Policy {
    return this.policies.get(`${project}/${name}`) ?? { version: 1, etag: 'BwAAAAAAAAA=', bindings: [] };
  }

  private setPolicy(project: string, name: string, body: { policy?: Partial<Policy> }): Policy {
    this.existingImage(project, name);
    const current = this.policyOf(project, name);
    const policy = body.policy ?? {};
    if (policy.etag && policy.etag !== current.etag) throw new HttpError(409, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
    for (const binding of policy.bindings ?? []) {
      if (!/^roles\/[\w.]+$/.test(binding.role)) throw new HttpError(400, `Role ${binding.role} is not supported for this resource.`);
    }
    const next: Policy = {
      version: 1,
      etag: Buffer.from(`policy-${this.nextId++}`).toString('base64'),
      bindings: policy.bindings ?? [],
    };
    this.policies.set(`${project}/${name}`, next);
    return next;
  }

  private operation(project: string, name: string): Operation {
    const operation = this.operations.get(name);
    if (!operation || operation.project !== project) throw new HttpError(404, `The resource 'projects/${project}/global/operations/${name}' was not found`);
    return operation;
  }

  /** Answers when the operation is DONE, or after waitMs with whatever state it is in. */
  private async waitFor(project: string, name: string, response: ServerResponse): Promise<void> {
    const operation = this.operation(project, name);
    if (operation.resource.status !== 'DONE') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.waitMs);
        operation.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    sendJson(response, 200, operation.resource);
  }

  private startOperation(project: string, type: string, target: string, work: () => Promise<void>, onError = (error: Error) => error.message): Json {
    const id = String(this.nextId++);
    const name = `operation-${Date.now()}-${id.slice(-8)}`;
    const resource: Json = {
      kind: 'compute#operation',
      id,
      name,
      operationType: type,
      targetLink: `${this.baseUrl}/compute/v1/${target}`,
      status: 'PENDING',
      progress: 0,
      insertTime: new Date().toISOString(),
      selfLink: `${this.baseUrl}/compute/v1/projects/${project}/global/operations/${name}`,
    };
    const operation: Operation = { project, resource, waiters: [] };
    this.operations.set(name, operation);
    const step = () => new Promise((resolve) => setTimeout(resolve, this.stepMs));
    void (async () => {
      await step();
      resource.status = 'RUNNING';
      resource.startTime = new Date().toISOString();
      try {
        await work();
      } catch (error) {
        const message = onError(error as Error);
        resource.error = { errors: [{ code: 'IMAGE_IMPORT_ERROR', message }] };
        resource.httpErrorStatusCode = 400;
        resource.httpErrorMessage = 'BAD REQUEST';
      }
      await step();
      if (this.stopped) return;
      resource.status = 'DONE';
      resource.progress = 100;
      resource.endTime = new Date().toISOString();
      for (const wake of operation.waiters.splice(0)) wake();
    })();
    return { ...resource };
  }
}
