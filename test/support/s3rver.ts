import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; we use its small documented surface.
// @ts-expect-error untyped module
import S3rver from 's3rver';

/** An S3-compatible server the tests start on 127.0.0.1. */
export interface S3Server {
  endpoint: string;
  /** Credentials the server checks signatures against. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1 with the given buckets. It is fast for large uploads but accepts every write, ignoring
 * If-None-Match and If-Match: tests of publication rules use moto's server (`startMotoServer`) instead.
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
  const { port } = (await s3rver.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async close() {
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
