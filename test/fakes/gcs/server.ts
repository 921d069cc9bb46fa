import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GoogleFake, HttpError, readBody, sendJson, type Handler } from '../google-http.js';
import { crc32c } from './crc32c.js';

interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  generation: number;
  contentType: string;
  metadata: Record<string, string>;
  created: string;
}

interface UploadSession {
  bucket: string;
  name: string;
  contentType: string;
  metadata: Record<string, string>;
  chunks: Buffer[];
  received: number;
  /** The session's ifGenerationMatch precondition (0: the object must not exist), checked again when it completes. */
  ifGenerationMatch?: number;
}

/**
 * A Cloud Storage fake speaking the JSON API (https://cloud.google.com/storage/docs/json_api) that
 * @google-cloud/storage uses: bucket get; object get (metadata or alt=media), list, delete; simple (multipart)
 * and resumable uploads (session URI, chunks answered with 308 + Range, finalization). Every object
 * carries the md5Hash and crc32c the client checks, and an X-Goog-Hash sent with an upload is verified.
 * `ifGenerationMatch` is enforced on uploads and deletes (412 conditionNotMet). A connection dropped during an upload
 * chunk (`faults`, kind `reset`) keeps the first half of the chunk, as GCS may keep part of what it received: the
 * client must ask how much the session has and go on from there.
 */
export class FakeGcs extends GoogleFake {
  private readonly buckets = new Set<string>();
  private readonly objects = new Map<string, StoredObject>();
  private readonly sessions = new Map<string, UploadSession>();
  private generation = 1_700_000_000_000_000;
  private corruptions = 0;

  constructor(token: string, buckets: string[]) {
    super(token);
    for (const bucket of buckets) this.buckets.add(bucket);
  }

  /** The stored bytes of an object, for assertions. */
  object(bucket: string, name: string): { data: Buffer; metadata: Record<string, string> } | undefined {
    return this.objects.get(`${bucket}/${name}`);
  }

  objectNames(bucket: string): string[] {
    return [...this.objects.values()].filter((object) => object.bucket === bucket).map((object) => object.name);
  }

  /** The next stored upload loses a byte on the way to disk: its md5Hash and crc32c no longer match what was sent. */
  corruptNextUpload(): void {
    this.corruptions++;
  }

  /** Puts an object directly, like an earlier run that left it behind. */
  seed(bucket: string, name: string, data: Buffer, metadata: Record<string, string> = {}): void {
    this.store({ bucket, name, data, contentType: 'application/octet-stream', metadata, chunks: [], received: 0 });
  }

  protected override async dropConnection(request: IncomingMessage, url: URL): Promise<void> {
    const session = request.method === 'PUT' ? this.sessions.get(url.searchParams.get('upload_id') ?? '') : undefined;
    if (!session) return super.dropConnection(request, url);
    const data = await readBody(request);
    const start = Number(/^bytes (\d+)-/.exec(String(request.headers['content-range'] ?? ''))?.[1] ?? Number.NaN);
    if (Number.isNaN(start) || start > session.received) return;
    const fresh = data.subarray(session.received - start);
    const kept = fresh.subarray(0, Math.floor(fresh.length / 2));
    session.chunks.push(kept);
    session.received += kept.length;
  }

  /** As in GCS, a resumable session URI is itself the credential: its PUTs carry no token. */
  protected override needsToken(request: IncomingMessage, url: URL): boolean {
    return !(request.method === 'PUT' && url.searchParams.has('upload_id'));
  }

  protected handle: Handler = async (request, url, response) => {
    const path = url.pathname;
    let match: RegExpMatchArray | null;
    if ((match = path.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/))) return this.upload(request, url, response, this.bucket(match[1]!));
    if ((match = path.match(/^\/storage\/v1\/b\/([^/]+)$/)) && request.method === 'GET') {
      const bucket = this.bucket(match[1]!);
      return sendJson(response, 200, { kind: 'storage#bucket', id: bucket, name: bucket, location: 'US', storageClass: 'STANDARD' });
    }
    if ((match = path.match(/^\/storage\/v1\/b\/([^/]+)\/o$/)) && request.method === 'GET') {
      const bucket = this.bucket(match[1]!);
      const prefix = url.searchParams.get('prefix') ?? '';
      const items = [...this.objects.values()]
        .filter((object) => object.bucket === bucket && object.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((object) => this.resource(object));
      return sendJson(response, 200, { kind: 'storage#objects', items });
    }
    if ((match = path.match(/^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/))) {
      const bucket = this.bucket(match[1]!);
      const name = decodeURIComponent(match[2]!);
      const object = this.objects.get(`${bucket}/${name}`);
      if (!object) throw new HttpError(404, `No such object: ${bucket}/${name}`);
      if (request.method === 'DELETE') {
        this.checkGeneration(url.searchParams.get('ifGenerationMatch'), bucket, name);
        this.objects.delete(`${bucket}/${name}`);
        response.writeHead(204).end();
        return;
      }
      if (request.method !== 'GET') throw new HttpError(405, `${request.method} is not supported here`);
      if (url.searchParams.get('alt') !== 'media') return sendJson(response, 200, this.resource(object));
      response.writeHead(200, {
        'content-type': object.contentType,
        'content-length': object.data.length,
        'x-goog-hash': `crc32c=${crc32c(object.data)},md5=${md5(object.data)}`,
        'x-goog-generation': String(object.generation),
        'x-goog-stored-content-encoding': 'identity',
      });
      response.end(object.data);
      return;
    }
    throw new HttpError(404, `Not Found: ${request.method} ${path}`);
  };

  private bucket(name: string): string {
    if (!this.buckets.has(name)) throw new HttpError(404, 'The specified bucket does not exist.');
    return name;
  }

  private async upload(request: IncomingMessage, url: URL, response: ServerResponse, bucket: string): Promise<void> {
    const type = url.searchParams.get('uploadType');
    if (type === 'resumable' && request.method === 'POST') {
      const name = url.searchParams.get('name');
      const body = await readBody(request);
      const metadata = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { name?: string; contentType?: string; metadata?: Record<string, string> }) : {};
      const objectName = name ?? metadata.name;
      if (!objectName) throw new HttpError(400, 'Required parameter: name');
      const ifGenerationMatch = this.checkGeneration(url.searchParams.get('ifGenerationMatch'), bucket, objectName);
      const id = randomUUID();
      this.sessions.set(id, {
        bucket,
        name: objectName,
        contentType: String(request.headers['x-upload-content-type'] ?? metadata.contentType ?? 'application/octet-stream'),
        metadata: metadata.metadata ?? {},
        chunks: [],
        received: 0,
        ifGenerationMatch,
      });
      const location = `${this.baseUrl}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(objectName)}&upload_id=${id}`;
      response.writeHead(200, { location, 'content-length': 0 }).end();
      return;
    }
    if (type === 'resumable' && request.method === 'PUT') return this.uploadChunk(request, url, response);
    if (type === 'multipart' && request.method === 'POST') {
      const { metadata, data, contentType } = parseMultipart(request, await readBody(request));
      const name = url.searchParams.get('name') ?? metadata.name;
      if (!name) throw new HttpError(400, 'Required parameter: name');
      this.checkGeneration(url.searchParams.get('ifGenerationMatch'), bucket, name);
      checkHashes(request, data, metadata);
      return sendJson(response, 200, this.resource(this.store({ bucket, name, data, contentType, metadata: metadata.metadata ?? {}, chunks: [], received: 0 })));
    }
    throw new HttpError(400, `unsupported upload: ${request.method} uploadType=${type}`);
  }

  /**
   * One PUT to a session URI. `Content-Range: bytes A-B/T` carries bytes A..B of T (T may be `*` while unknown);
   * `bytes A-*\/T` carries everything from A; `bytes *\/T` only asks how far the upload got. The object exists
   * once all T bytes are in; until then the answer is 308 with the Range received.
   */
  private async uploadChunk(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    const session = this.sessions.get(url.searchParams.get('upload_id') ?? '');
    if (!session) throw new HttpError(404, 'No such upload session.');
    const data = await readBody(request);
    const range = String(request.headers['content-range'] ?? `bytes 0-*/${data.length}`);
    const match = range.match(/^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/);
    if (!match) throw new HttpError(400, `Invalid Content-Range: ${range}`);
    if (match[1] !== undefined) {
      const start = Number(match[1]);
      if (start > session.received) throw new HttpError(400, `chunk starts at ${start}, but only ${session.received} bytes were received`);
      // Bytes the server already has are skipped, as after a retried chunk.
      const fresh = data.subarray(session.received - start);
      session.chunks.push(fresh);
      session.received += fresh.length;
    }
    const total = match[3] === '*' ? (match[2] === '*' ? session.received : undefined) : Number(match[3]);
    if (total !== undefined && session.received >= total) {
      const content = Buffer.concat(session.chunks);
      if (content.length !== total) throw new HttpError(400, `received ${content.length} bytes, expected ${total}`);
      checkHashes(request, content);
      this.checkGeneration(session.ifGenerationMatch === undefined ? null : String(session.ifGenerationMatch), session.bucket, session.name);
      this.sessions.delete(url.searchParams.get('upload_id')!);
      return sendJson(response, 200, this.resource(this.store({ ...session, data: content })));
    }
    const headers: Record<string, string> = { 'content-length': '0' };
    if (session.received > 0) headers.range = `bytes=0-${session.received - 1}`;
    response.writeHead(308, headers).end();
  }

  /** GCS's generation precondition: the object's generation must be the given one, 0 meaning no object. */
  private checkGeneration(wanted: string | null, bucket: string, name: string): number | undefined {
    if (wanted === null) return undefined;
    const current = this.objects.get(`${bucket}/${name}`)?.generation ?? 0;
    if (Number(wanted) !== current) throw new HttpError(412, 'At least one of the pre-conditions you specified did not hold.');
    return current;
  }

  private store(upload: UploadSession & { data: Buffer }): StoredObject {
    const corrupt = this.corruptions > 0 && upload.data.length > 0;
    if (corrupt) this.corruptions--;
    const object: StoredObject = {
      bucket: upload.bucket,
      name: upload.name,
      data: corrupt ? Buffer.concat([upload.data.subarray(0, -1), Buffer.from([upload.data.at(-1)! ^ 0xff])]) : upload.data,
      generation: this.generation++,
      contentType: upload.contentType,
      metadata: upload.metadata,
      created: new Date().toISOString(),
    };
    this.objects.set(`${object.bucket}/${object.name}`, object);
    return object;
  }

  private resource(object: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${object.bucket}/${object.name}/${object.generation}`,
      selfLink: `${this.baseUrl}/storage/v1/b/${object.bucket}/o/${encodeURIComponent(object.name)}`,
      mediaLink: `${this.baseUrl}/download/storage/v1/b/${object.bucket}/o/${encodeURIComponent(object.name)}?generation=${object.generation}&alt=media`,
      name: object.name,
      bucket: object.bucket,
      generation: String(object.generation),
      metageneration: '1',
      contentType: object.contentType,
      storageClass: 'STANDARD',
      size: String(object.data.length),
      md5Hash: md5(object.data),
      crc32c: crc32c(object.data),
      etag: md5(Buffer.from(String(object.generation))),
      timeCreated: object.created,
      updated: object.created,
      ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
    };
  }
}

function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

/** GCS rejects an upload whose content does not match the hashes the client declared. */
function checkHashes(request: IncomingMessage, data: Buffer, declared: { md5Hash?: string; crc32c?: string } = {}): void {
  const header = String(request.headers['x-goog-hash'] ?? '');
  const fromHeader = Object.fromEntries(header.split(',').filter(Boolean).map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  }));
  const expectedCrc = fromHeader.crc32c ?? declared.crc32c;
  const expectedMd5 = fromHeader.md5 ?? declared.md5Hash;
  if (expectedCrc && expectedCrc !== crc32c(data)) throw new HttpError(400, 'Provided CRC32C "' + expectedCrc + '" doesn\'t match calculated CRC32C.');
  if (expectedMd5 && expectedMd5 !== md5(data)) throw new HttpError(400, 'Provided MD5 hash "' + expectedMd5 + '" doesn\'t match calculated MD5 hash.');
}

function parseMultipart(request: IncomingMessage, body: Buffer): { metadata: { name?: string; metadata?: Record<string, string>; md5Hash?: string; crc32c?: string }; data: Buffer; contentType: string } {
  const boundary = String(request.headers['content-type'] ?? '').match(/boundary=("?)([^";]+)\1/)?.[2];
  if (!boundary) throw new HttpError(400, 'multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    parts.push(body.subarray(at + delimiter.length + 2, next - 2));
    at = next;
  }
  const split = (part: Buffer) => {
    const end = part.indexOf('\r\n\r\n');
    return { head: part.subarray(0, end).toString('utf8'), content: part.subarray(end + 4) };
  };
  if (parts.length !== 2) throw new HttpError(400, `multipart upload with ${parts.length} parts, expected 2`);
  const meta = split(parts[0]!);
  const media = split(parts[1]!);
  return {
    metadata: JSON.parse(meta.content.toString('utf8')) as { name?: string },
    data: media.content,
    contentType: media.head.match(/content-type:\s*([^\r\n]+)/i)?.[1] ?? 'application/octet-stream',
  };
}
