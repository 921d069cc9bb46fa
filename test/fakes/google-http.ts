import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultSchedule } from './faults.js';

/**
 * What the Google fakes share: a server on 127.0.0.1, bearer-token checks, the JSON error body of Google's REST
 * APIs, and injected faults: "the next N requests that match fail with this status", and the transient faults of
 * `faults` (429 rateLimitExceeded and 503 backendError as Google sends them, a connection dropped after the request
 * arrived, a slow answer).
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
  private readonly failures: Fault[] = [];
  /** Every request as "METHOD /path", so that tests can count the writes. */
  readonly requests: string[] = [];
  readonly faults = new FaultSchedule();
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
    this.failures.push({ method, path, status, message, times });
  }

  /**
   * What the server does with a request whose connection drops before the answer: by default the work is done and
   * only the answer is lost, the case that makes a retried write dangerous.
   */
  protected async dropConnection(request: IncomingMessage, url: URL): Promise<void> {
    await this.handle(request, url, new ServerResponse(request)).catch(() => undefined);
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((line) => line.startsWith(`${method} `) && path.test(line.slice(method.length + 1))).length;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    this.requests.push(`${request.method} ${url.pathname}`);
    try {
      if (this.needsToken(request, url) && request.headers.authorization !== `Bearer ${this.token}`) throw new HttpError(401, 'Request had invalid authentication credentials.');
      const fault = this.failures.find((candidate) => candidate.method === request.method && candidate.path.test(url.pathname));
      if (fault) {
        if (--fault.times === 0) this.failures.splice(this.failures.indexOf(fault), 1);
        await readBody(request);
        throw new HttpError(fault.status, fault.message);
      }
      const transient = this.faults.next({ method: request.method ?? '', path: url.pathname });
      if (transient?.kind === 'slow') await sleep(transient.delayMs);
      if (transient?.kind === 'throttle') {
        await readBody(request);
        throw new HttpError(429, 'Rate Limit Exceeded', 'rateLimitExceeded');
      }
      if (transient?.kind === 'unavailable') {
        await readBody(request);
        throw new HttpError(503, 'Backend Error', 'backendError');
      }
      if (transient?.kind === 'reset') {
        await this.dropConnection(request, url);
        request.socket.destroy();
        return;
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
      const domain = reason === 'rateLimitExceeded' ? 'usageLimits' : 'global';
      sendJson(response, status, { error: { code: status, message, errors: [{ message, domain, reason }], ...(STATUS_NAMES[status] ? { status: STATUS_NAMES[status] } : {}) } });
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
  return ({ 400: 'invalid', 401: 'authError', 403: 'forbidden', 404: 'notFound', 409: 'alreadyExists', 412: 'conditionNotMet', 429: 'rateLimitExceeded' } as Record<number, string>)[status] ?? 'backendError';
}

/** The `status` of Google's JSON errors (google.rpc.Code names) for the statuses the fakes send. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};
