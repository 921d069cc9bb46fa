/**
 * Which URLs discovery trusts to read from or to hand out. https always. `file:` only when the caller allows it (the
 * local default store is a directory). Plain http only to this machine (127.0.0.1, ::1, localhost), where nobody on
 * the network can change the answer; anything else must use https or be signed and read from a local file.
 */
export type AllowedScheme = 'file:';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Why a URL is not acceptable, or undefined when it is. */
export function urlProblem(text: string, allow: readonly AllowedScheme[] = []): string | undefined {
  if (text.length > 2048) return 'is longer than 2048 characters';
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return 'contains white space or control characters';
  if (text.startsWith('file:')) return allow.includes('file:') ? undefined : 'is a file:// URL, which only a local store may use';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'carries credentials';
  if (url.protocol === 'https:' || isLoopbackHttp(url)) return undefined;
  return url.protocol === 'http:' ? 'is plain http (only https, or http to 127.0.0.1/localhost)' : `has the scheme ${url.protocol} (expected https)`;
}
