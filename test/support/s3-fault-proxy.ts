import { randomUUID } from 'node:crypto';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultSchedule } from '../fakes/faults.js';

/**
 * A proxy on 127.0.0.1 in front of an S3 server (s3rver, moto) that injects S3's transient failures as S3 documents
 * them: 503 SlowDown ("Please reduce your request rate."), 503 ServiceUnavailable, a connection dropped in the middle
 * of a request body (half a part arrives, none of it is stored), a slow answer. Everything else passes through
 * unchanged, the Host header included, so SigV4 signatures still verify at the server.
 */
export interface S3FaultProxy {
  endpoint: string;
  faults: FaultSchedule;
  /** Every request that reached the proxy, `METHOD /path?query`. */
  requests: string[];
  close(): Promise<void>;
}

export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  const faults = new FaultSchedule();
  const requests: string[] = [];
  const server = createServer((incoming, response) => {
    void serve(incoming, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(String(error));
    });
  });

  const serve = async (incoming: IncomingMessage, response: ServerResponse) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    requests.push(`${incoming.method} ${url.pathname}${url.search}`);
    const fault = faults.next({ method: incoming.method ?? '', path: `${url.pathname}${url.search}` });
    if (fault?.kind === 'reset') {
      const { socket } = incoming;
      await readHalf(incoming);
      socket.destroy();
      return;
    }
    if (fault?.kind === 'throttle' || fault?.kind === 'unavailable') {
      for await (const _ of incoming);
      const [code, message] = fault.kind === 'throttle' ? ['SlowDown', 'Please reduce your request rate.'] : ['ServiceUnavailable', 'Service is unable to handle request.'];
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
      response.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    await new Promise<void>((resolve, reject) => {
      const outgoing = forward(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response).on('finish', resolve).on('error', reject);
        },
      );
      outgoing.on('error', reject);
      incoming.pipe(outgoing);
    });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads about half of a request body (all of a short one), so that the connection drops mid-transfer. */
async function readHalf(incoming: IncomingMessage): Promise<void> {
  const length = Number(incoming.headers['content-length'] ?? 0);
  let received = 0;
  for await (const chunk of incoming) {
    received += (chunk as Buffer).length;
    if (received >= length / 2) return;
  }
}
