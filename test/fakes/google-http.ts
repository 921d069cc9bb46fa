import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the Google fakes share: a server on 127.0.0.1, bearer-token checks, the JSON error body of Google's REST
 * APIs, and injected faults ("the next N requests that match fail with this status").
 */
export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
  times: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = reasonOf(status),
  ) {
    super(message);
  }
}

export type Handler = (request: IncomingMessage, url: URL, response: ServerResponse) => Promise<void>;

export abstract class GoogleFake {
  private server?: Server;
  private readonly faults: Fault[] = [];
  /** Every request as "METHOD /path", so that tests can count the writes. */
  readonly requests: string[] = [];
  baseUrl = '';

  /** `token`: the bearer token every request must carry. */
  constructor(protected readonly token: string) {}

  protected abstract handle: Handler;

  /** Whether a request must carry the bearer token; most do. */
  protected needsToken(_request: IncomingMessage, _url: URL): boolean {
    return true;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.serve(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests with this method whose path matches fail with `status`. */
  failNext(method: string, path: RegExp, status: number, message: string, times = 1): void {
    this.faults.push({ method, path, status, message, times });
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((line) => line.startsWith(`${method} `) && path.test(line.slice(method.length + 1))).length;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    this.requests.push(`${request.method} ${url.pathname}`);
    try {
      if (this.needsToken(request, url) && request.headers.authorization !== `Bearer ${this.token}`) throw new HttpError(401, 'Request had invalid authentication credentials.');
      const fault = this.faults.find((candidate) => candidate.method === request.method && candidate.path.test(url.pathname));
      if (fault) {
        if (--fault.times === 0) this.faults.splice(this.faults.indexOf(fault), 1);
        await readBody(request);
        throw new HttpError(fault.status, fault.message);
      }
      await this.handle(request, url, response);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      const reason = error instanceof HttpError ? error.reason : 'backendError';
      sendJson(response, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
    }
  }
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readJson<T>(request: IncomingMessage): Promise<T> {
  const body = await readBody(request);
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new HttpError(400, 'Invalid JSON payload received.', 'parseError');
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function reasonOf(status: number): string {
  return ({ 400: 'invalid', 401: 'authError', 403: 'forbidden', 404: 'notFound', 409: 'alreadyExists', 412: 'conditionNotMet' } as Record<number, string>)[status] ?? 'backendError';
}
