import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Azurite's fixed development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** The blob endpoint of the development account, e.g. http://127.0.0.1:41234/devstoreaccount1 */
  readonly blobUrl: string;
  stop(): Promise<void>;
}

/** Starts Azurite's blob service on 127.0.0.1 and a free port, in memory, without telemetry. */
export async function startAzurite(): Promise<Azurite> {
  const require = createRequire(import.meta.url);
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const child = spawn(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--skipApiVersionCheck', '--inMemoryPersistence', '--disableTelemetry', '--loose', '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 90 s:\n${output}`)), 90_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`Azurite exited (${code}) before it listened:\n${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    blobUrl: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
