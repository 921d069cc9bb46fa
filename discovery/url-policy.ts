/**
 * Which URLs discovery trusts to read from or to hand out. https always. `file:` only when the caller allows it (the
 * local default store is a directory). Plain http only to this machine (127.0.0.1, ::1, localhost), where nobody on
 * the network can change the answer, and in a table only when the table itself came that way.
 */
export type AllowedScheme = 'file:' | 'http:';

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
  if (url.protocol === 'https:' || (isLoopbackHttp(url) && allow.includes('http:'))) return undefined;
  return url.protocol === 'http:' ? 'is plain http (expected https)' : `has the scheme ${url.protocol} (expected https)`;
}
