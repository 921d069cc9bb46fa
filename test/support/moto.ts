import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { S3Server } from './s3rver.js';

/**
 * Starts moto's S3 server on 127.0.0.1 with the given buckets. Unlike s3rver it enforces conditional writes as S3
 * does (`If-None-Match: *` and `If-Match` answer 412 PreconditionFailed), so every test of publication rules runs
 * against it. It keeps objects in memory: use s3rver where an upload of gigabytes is under test.
 */
export async function startMotoServer(buckets: string[]): Promise<S3Server> {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const failed = (why: string) => reject(new Error(`moto_server did not start: ${why} (it comes with moto: pip install 'moto[server]')`));
    child.once('error', (error) => failed(error.message));
    child.once('exit', (code) => failed(`exit ${code}`));
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  // Keep draining its request log so that the pipe never fills and stalls the server.
  child.stderr!.resume();
  for (const bucket of buckets) {
    const answer = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
    if (!answer.ok) throw new Error(`moto_server: creating bucket ${bucket}: HTTP ${answer.status}`);
  }
  return {
    endpoint,
    credentials: { accessKeyId: 'MOTO', secretAccessKey: 'MOTO' },
    async close() {
      child.removeAllListeners('exit');
      const exited = new Promise((done) => child.once('exit', done));
      child.kill();
      await exited;
    },
  };
}
