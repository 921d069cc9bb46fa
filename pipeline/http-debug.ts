import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Logger } from 'pino';

/**
 * `--debug`: one log line per HTTP request any cloud SDK makes (method, URL, status, duration), from Node's own
 * diagnostics channels for node:http and for fetch (undici), so every SDK is covered without touching its client.
 * The URL loses its query and any user info: SAS tokens and signatures travel there.
 */
let started = false;

export function logHttpRequests(log: Logger): void {
  if (started) return;
  started = true;
  const begun = new WeakMap<object, number>();
  subscribe('http.client.request.start', (message) => begun.set((message as { request: object }).request, performance.now()));
  subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: { statusCode: number } };
    // The Host header has the port; request.host does not.
    const host = String(request.getHeader('host') ?? request.host);
    line(log, request.method, `${request.protocol}//${host}${request.path}`, response.statusCode, begun.get(request));
  });
  subscribe('undici:request:create', (message) => begun.set((message as { request: object }).request, performance.now()));
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: { method: string; origin: string; path: string }; response: { statusCode: number } };
    line(log, request.method, `${request.origin}${request.path}`, response.statusCode, begun.get(request));
  });
}

function line(log: Logger, method: string, url: string, status: number, started: number | undefined): void {
  log.debug({ http: { method, url: withoutSecrets(url), status, ms: started === undefined ? undefined : Math.round(performance.now() - started) } }, `${method} ${withoutSecrets(url)} → ${status}`);
}

export function withoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}
