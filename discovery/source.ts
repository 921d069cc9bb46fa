import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTransientStatus, retryAfterMs, withRetries, type RetryLimits } from './backoff.js';
import { DiscoveryError, DiscoveryInputError } from './errors.js';
import { isLoopbackHttp } from './url-policy.js';

/**
 * Where published files are read from: the base URL of a bucket layout (DESIGN.md "Published files"). https:// for a
 * CDN or a user's repository; file:// for the store of a local run; http:// only to this machine.
 */
export interface Source {
  /** The base URL as given, for messages. */
  readonly baseUrl: string;
  /** `https:`, `file:` or `http:` (to this machine only). */
  readonly scheme: 'https:' | 'file:' | 'http:';
  /** The URL (or path) of `path` under the base, for messages and `--json`. */
  locate(path: string): string;
  /** The object's bytes, or undefined when there is none (HTTP 404, ENOENT). */
  read(path: string, limits: ReadLimits): Promise<Buffer | undefined>;
}

export interface ReadLimits {
  /** Reading stops with an error past this many bytes: it is not the small file we expect. */
  maxBytes: number;
  /** For a whole request, headers and body. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A read that failed in a way that may pass (a 5xx, a 429, no answer in time, a broken connection): tried again. */
class TransientReadError extends DiscoveryError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, hint, options);
  }
}

/** A few tries, quickly: a consumer waits for the answer. */
const READ_RETRIES: RetryLimits = { maxAttempts: 3, maxSeconds: 75 };
const READ_BACKOFF = { baseMs: 250, capMs: 2_000 };

export function openSource(baseUrl: string): Source {
  if (baseUrl.startsWith('file://')) return fileSource(baseUrl);
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new DiscoveryInputError(`the base URL "${baseUrl}" is not a URL`, 'give https://<host>[/<path>] or file://<directory>');
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new DiscoveryInputError(
      `the base URL "${baseUrl}" is not https`,
      'image references and measurements are read over https (plain http only to 127.0.0.1 or localhost), or from file://<directory>',
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new DiscoveryInputError(`the base URL "${url.origin}…" may not carry credentials, a query or a fragment`);
  }
  return httpSource(baseUrl);
}

function httpSource(baseUrl: string): Source {
  const base = baseUrl.replace(/\/+$/, '');
  const scheme = new URL(base).protocol as 'https:' | 'http:';
  const locate = (path: string): string => `${base}/${path}`;
  return {
    baseUrl,
    scheme,
    locate,
    read(path, { maxBytes, timeoutMs = DEFAULT_TIMEOUT_MS }) {
      const url = locate(path);
      return withRetries(() => readOnce(url, maxBytes, timeoutMs), {
        ...READ_RETRIES,
        backoff: READ_BACKOFF,
        classify: (error) => (error instanceof TransientReadError ? { retry: true, afterMs: error.retryAfterMs } : { retry: false }),
      });
    },
  };

  async function readOnce(url: string, maxBytes: number, timeoutMs: number): Promise<Buffer | undefined> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, { signal, headers: { accept: 'application/json, application/yaml, text/plain, */*' } });
      // A redirect may not take us to a scheme we would not have read from directly.
      if (new URL(response.url || url).protocol !== scheme) {
        await response.body?.cancel();
        throw new DiscoveryError(`${url} redirected to ${new URL(response.url).protocol}, which is not trusted`);
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) {
        await response.body?.cancel();
        const message = `GET ${url}: HTTP ${response.status} ${response.statusText}`;
        const hint = 'try again later; if it persists, check the base URL';
        if (isTransientStatus(response.status)) throw new TransientReadError(message, hint, retryAfterMs(response.headers.get('retry-after')));
        throw new DiscoveryError(message, hint);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) {
        await response.body?.cancel();
        throw tooBig(url, maxBytes);
      }
      return await readCapped(response.body, url, maxBytes);
    } catch (error) {
      if (error instanceof DiscoveryError) throw error;
      if (signal.aborted) throw new TransientReadError(`GET ${url}: no answer within ${timeoutMs / 1000} s`, undefined, undefined, { cause: error });
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new TransientReadError(`GET ${url}: ${reason?.code ?? reason?.message ?? (error as Error).message}`, 'check the network and the base URL', undefined, { cause: error });
    }
  }
}

function fileSource(baseUrl: string): Source {
  // file://relative/dir is not a valid file URL; like the file store, we take it as relative to the working directory.
  const absolute = baseUrl.startsWith('file:///') || baseUrl.startsWith('file://localhost/');
  const root = absolute ? fileURLToPath(baseUrl) : resolve(baseUrl.slice('file://'.length));
  const locate = (path: string): string => resolve(root, path);
  return {
    baseUrl,
    scheme: 'file:',
    locate,
    async read(path, { maxBytes }) {
      const file = locate(path);
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new DiscoveryError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      try {
        // Read one byte more than allowed: that tells "too big" without trusting a size taken before the read.
        const buffer = Buffer.alloc(maxBytes + 1);
        let length = 0;
        while (length < buffer.length) {
          const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
          if (bytesRead === 0) break;
          length += bytesRead;
        }
        if (length > maxBytes) throw tooBig(file, maxBytes);
        return buffer.subarray(0, length);
      } catch (error) {
        if (error instanceof DiscoveryError) throw error;
        throw new DiscoveryError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      } finally {
        await handle.close();
      }
    },
  };
}

async function readCapped(body: ReadableStream<Uint8Array> | null, url: string, maxBytes: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooBig(url, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length);
}

function tooBig(where: string, maxBytes: number): DiscoveryError {
  return new DiscoveryError(`${where} is bigger than the ${maxBytes} bytes such a file may have`, 'the base URL may point to the wrong place, or the file was tampered with');
}
