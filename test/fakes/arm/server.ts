import { createServer, type Server } from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { Compute, type BlobAccount } from './compute.js';
import { FaultSchedule } from '../faults.js';
import { ArmError } from './errors.js';
import { Operations } from './lro.js';

export interface RequestMatch {
  method: string;
  /** Matched against the lower-cased path, without the query. */
  path: RegExp;
}

/** What a test asks the fake to do wrong, a number of times. */
export type Fault =
  | { kind: 'throttle' }
  | { kind: 'error'; status: number; code: string }
  /** The request is accepted, and its long-running operation ends Failed: the resource fails to provision. */
  | { kind: 'fail-operation' };

export interface FakeArmOptions {
  tls: { key: string; cert: string };
  /** The bearer token every request must carry. */
  token: string;
  subscription: string;
  resourceGroups: string[];
  /** Where disks opened for upload live: Azurite's development account. */
  blob: BlobAccount;
  /** How many polls report InProgress before an operation finishes. */
  pollsUntilDone?: number;
  /** The Retry-After (seconds) of a throttled request; ARM sends whole seconds. Default 1. */
  retryAfterSeconds?: number;
}

export interface FakeArm {
  readonly url: string;
  readonly compute: Compute;
  /** Every request, `METHOD /path` in arrival order. */
  readonly requests: string[];
  /** Transient faults: 429 with Retry-After, 503, a connection dropped after the work was done, a slow answer. */
  readonly faults: FaultSchedule;
  inject(match: RequestMatch, fault: Fault, times?: number): void;
  stop(): Promise<void>;
}

/** The API versions the fake serves, per resource provider family (those arm-compute 24 and 25 speak). */
const API_VERSIONS: Array<[RegExp, string[]]> = [
  [/\/disks(\/|$)/, ['2026-03-02', '2025-01-02', '2024-03-02']],
  [/\/galleries(\/|$)/, ['2025-12-03', '2025-03-03', '2024-03-03']],
  [/\/operations\//, ['2026-03-02', '2025-12-03', '2025-01-02', '2025-03-03', '2024-03-02', '2024-03-03']],
];

/**
 * A fake Azure Resource Manager for the Microsoft.Compute resources the Azure upload step uses, over https (the ARM
 * client sends a bearer token only over TLS). It checks the token and the api-version, speaks the asynchronous
 * operation protocol, and injects throttling, errors and failed provisioning on demand.
 */
export async function startFakeArm(options: FakeArmOptions): Promise<FakeArm> {
  let url = '';
  const operations = new Operations(() => url, options.pollsUntilDone ?? 2);
  const compute = new Compute(options, operations);
  const faults: Array<{ match: RequestMatch; fault: Fault; times: number }> = [];
  const requests: string[] = [];
  const transientFaults = new FaultSchedule();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const parsed = new URL(request.url!, 'https://fake');
    const path = parsed.pathname.toLowerCase();
    requests.push(`${request.method} ${parsed.pathname}`);
    const body = await readBody(request);
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is missing or invalid.');
    }
    const apiVersion = parsed.searchParams.get('api-version');
    const supported = API_VERSIONS.find(([pattern]) => pattern.test(path))?.[1];
    if (!apiVersion) throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (supported && !supported.includes(apiVersion)) {
      throw new ArmError(400, 'NoRegisteredProviderFound', `No registered resource provider found for API version '${apiVersion}'. The supported api-versions are '${supported.join(', ')}'.`);
    }
    const index = faults.findIndex(({ match }) => match.method === request.method && match.path.test(path));
    const fault = index >= 0 ? faults[index]!.fault : undefined;
    if (index >= 0 && --faults[index]!.times === 0) faults.splice(index, 1);
    if (fault?.kind === 'throttle') {
      response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }));
      return;
    }
    if (fault?.kind === 'error') throw new ArmError(fault.status, fault.code, 'injected failure');
    const transient = transientFaults.next({ method: request.method!, path });
    if (transient?.kind === 'slow') await sleep(transient.delayMs);
    if (transient?.kind === 'throttle') {
      response.writeHead(429, { 'retry-after': String(options.retryAfterSeconds ?? 1), 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }));
      return;
    }
    if (transient?.kind === 'unavailable') throw new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please try again later.');
    if (transient?.kind === 'reset') {
      // The work is done and only the answer is lost: what makes a repeated write dangerous.
      const mark = operations.count;
      await answer(request, parsed, path, body, apiVersion, fault, new ServerResponse(request)).catch(() => undefined);
      operations.runUnpolled(mark);
      request.socket.destroy();
      return;
    }
    await answer(request, parsed, path, body, apiVersion, fault, response);
  };

  const answer = async (request: IncomingMessage, parsed: URL, path: string, body: unknown, apiVersion: string, fault: Fault | undefined, response: ServerResponse) => {
    const operation = /^\/subscriptions\/[^/]+\/providers\/microsoft\.compute\/locations\/[^/]+\/operations\/([^/]+)$/.exec(path);
    if (operation && request.method === 'GET') {
      if (await operations.poll(operation[1]!, parsed.searchParams.get('monitor') === 'true', response)) return;
      throw new ArmError(404, 'NotFound', 'The operation was not found.');
    }
    await compute.handle({ method: request.method!, path: parsed.pathname, query: parsed.searchParams, body, apiVersion, failOperation: fault?.kind === 'fail-operation' }, response);
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof ArmError ? error.status : 500;
      const code = error instanceof ArmError ? error.code : 'InternalServerError';
      if (!(error instanceof ArmError)) console.error('fake ARM:', error);
      if (!response.headersSent) response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code, message: (error as Error).message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    compute,
    requests,
    faults: transientFaults,
    inject: (match, fault, times = 1) => faults.push({ match, fault, times }),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  }
}
