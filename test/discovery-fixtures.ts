/** Test helpers for the discovery tests: a bucket laid out on disk, served over real HTTP, keys, and the CLI. */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMPTY_MANIFEST, formatManifest, tableDigest, withTable } from '../discovery/manifest.js';

export const CLI = fileURLToPath(new URL('../../bin/osimage.js', import.meta.url));
export const PSEUDO = 'v2.3.0-pre-debug-cc0de5c68d41f31dd0b284d574f137e0b0ad106b';

export const TABLE = {
  aws: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
  azure: {
    cvm: '/subscriptions/0d202bbb-4fa7-4af8-8125-58c269a05435/resourceGroups/images/providers/Microsoft.Compute/galleries/osimage/images/cvm/versions/2.2.0',
    trustedlaunch: '/CommunityGalleries/osimage-4ab0c5d3/Images/trustedlaunch/Versions/2.2.0',
  },
  gcp: { 'sev-es': 'projects/osimage-images/global/images/osimage-v2-2-0-sev-es' },
  qemu: 'https://cdn.example.com/raw/v2.2.0/qemu.raw',
};

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'osimage-discovery-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files under root, creating directories: the bucket layout of DESIGN.md "Published files". */
export function writeFiles(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), body);
  }
}

export interface Keys {
  publicPem: string;
  /** What `cosign sign-blob` writes: base64 of a DER ECDSA P-256 signature over SHA-256. */
  sign(data: string | Uint8Array): string;
}

export function makeKeys(): Keys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign('sha256', typeof data === 'string' ? Buffer.from(data) : data, { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

/** images/manifest.json naming these tables (uid → exact bytes) as their uids', signed by `keys`. */
export function signedManifest(keys: Keys, tables: Record<string, string>): string {
  const manifest = Object.entries(tables).reduce((current, [uid, bytes]) => withTable(current, uid, tableDigest(Buffer.from(bytes))), EMPTY_MANIFEST);
  return formatManifest(manifest, keys.sign);
}

export interface StaticServer {
  baseUrl: string;
  /** Paths requested, in order, e.g. `/images/v2.2.0.json`. */
  requests: string[];
  /** Paths answered specially (hang, stream a huge body, ...) instead of from the directory. */
  special: Map<string, (response: ServerResponse) => void>;
}

/** A real HTTP server on 127.0.0.1 serving a directory as the bucket is served: GET a key, 404 when absent. */
export async function serveDirectory(t: { after(fn: () => Promise<void> | void): void }, root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const special = new Map<string, (response: ServerResponse) => void>();
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const handler = special.get(path);
    if (handler) return handler(response);
    const file = resolve(root, `.${path}`);
    let body: Buffer;
    try {
      if (!file.startsWith(root + sep)) throw new Error('outside');
      body = readFileSync(file);
    } catch {
      response.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, requests, special };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/osimage.js …` as a child process (asynchronously, so an in-process server can answer it). */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, OSIMAGE_BASE_URL: undefined, OSIMAGE_REPOSITORY: undefined, XDG_CACHE_HOME: join(options.cwd, '.cache'), ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
