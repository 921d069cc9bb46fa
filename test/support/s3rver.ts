import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; we use its small documented surface.
// @ts-expect-error untyped module
import S3rver from 's3rver';

export interface S3Server {
  /** The endpoint to give clients: the conditional-write proxy in front of s3rver. */
  endpoint: string;
  /** Where s3rver keeps its objects. */
  directory: string;
  /** Credentials s3rver checks signatures against. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** How many conditional writes the proxy refused with 412. */
  refused: number;
  close(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1 with the given buckets, behind a small proxy that enforces If-None-Match and If-Match
 * on PUT the way real S3 does (412 PreconditionFailed). s3rver itself ignores both headers.
 */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port: upstreamPort } = (await s3rver.run()) as AddressInfo;
  const state = { refused: 0 };
  const queue = new Map<string, Promise<unknown>>();

  const proxy: Server = createServer((req, res) => {
    const conditional = req.method === 'PUT' && (req.headers['if-none-match'] || req.headers['if-match']);
    if (!conditional) return forward(req, res, upstreamPort);
    // Serialize conditional writes per key, so check-then-write is atomic as it is on S3.
    const path = req.url!.split('?')[0]!;
    const previous = queue.get(path) ?? Promise.resolve();
    const current = previous.then(async () => {
      const etag = await headEtag(upstreamPort, path);
      const ifNoneMatch = req.headers['if-none-match'];
      const ifMatch = req.headers['if-match'];
      if ((ifNoneMatch === '*' && etag !== undefined) || (ifMatch !== undefined && ifMatch !== etag)) {
        state.refused++;
        req.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      await new Promise<void>((done) => {
        res.on('close', done);
        forward(req, res, upstreamPort);
      });
    });
    queue.set(path, current.catch(() => undefined));
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const { port } = proxy.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    get refused() {
      return state.refused;
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise((done) => proxy.close(done));
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function forward(req: IncomingMessage, res: ServerResponse, port: number): void {
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (error) => {
    res.writeHead(502);
    res.end(String(error));
  });
  req.pipe(upstream);
}

function headEtag(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const head = request({ host: '127.0.0.1', port, method: 'HEAD', path }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200 ? (answer.headers.etag as string) : undefined);
    });
    head.on('error', reject);
    head.end();
  });
}
