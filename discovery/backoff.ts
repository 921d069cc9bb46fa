import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one retry loop of the whole tool: exponential backoff with full jitter, a `Retry-After` the server sent taking
 * precedence, bounded by a number of attempts and by a total time. It lives here, in the lowest layer and free of any
 * dependency, so that discovery (which must start fast and never load the pipeline) and the pipeline's cloud clients
 * (pipeline/retry.ts) share it.
 */
export interface RetryLimits {
  /** Attempts in all, the first one included; 1 means no retry. */
  maxAttempts: number;
  /** No retry starts once this much time has passed since the first attempt (its wait included). */
  maxSeconds: number;
}

export interface Backoff {
  /** The first retry waits up to this long; each further one up to twice as long as the one before. */
  baseMs: number;
  /** No single wait is longer. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000 };

/**
 * The wait before retry number `retry` (1 for the first): a uniformly random time between 0 and
 * min(cap, base·2^(retry-1)) ("full jitter"), which spreads the retries of many clients throttled at once.
 */
export function backoffDelay(retry: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** A `Retry-After` header in milliseconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** HTTP statuses that say "try again": timeout, throttling, and server errors that may pass (not 501 or 505). */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** What the loop is told of a failed attempt. */
export interface Verdict {
  retry: boolean;
  /** The server said how long to wait (Retry-After, or a date): used instead of the backoff, still within the limits. */
  afterMs?: number;
  /** A short reason for the log line: `HTTP 503`, `RequestLimitExceeded`, `ECONNRESET`. */
  reason?: string;
}

export interface RetryEvent {
  /** The retry about to start: 1 for the second attempt. */
  retry: number;
  delayMs: number;
  reason: string;
}

export interface RetryOptions extends RetryLimits {
  /** Whether (and when) a failure may be tried again. Only idempotent work, or work made safe to repeat, says yes. */
  classify: (error: unknown) => Verdict;
  backoff?: Backoff;
  /** Called before each wait: for the debug log line and the run summary's count. */
  onRetry?: (event: RetryEvent) => void;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, fails in a way `classify` does not retry, or the limits are reached; then the
 * last error is thrown as it was. A server's Retry-After longer than the time left ends the retries at once rather
 * than sleeping past the deadline.
 */
export async function withRetries<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      const next = nextRetry(number, error, options, started);
      if (!next) throw error;
      options.onRetry?.(next);
      await sleep(next.delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}

/**
 * The retry after attempt `number` (started at `started`) failed with `error`, or undefined for none. Exported for
 * the SDKs' own retry hooks, which run their loop themselves and ask only this question.
 */
export function nextRetry(number: number, error: unknown, options: RetryLimits & Pick<RetryOptions, 'classify' | 'backoff' | 'signal'>, started: number): RetryEvent | undefined {
  if (options.signal?.aborted || number >= options.maxAttempts) return undefined;
  const verdict = options.classify(error);
  if (!verdict.retry) return undefined;
  const delayMs = verdict.afterMs ?? backoffDelay(number, options.backoff);
  if (Date.now() + delayMs - started > options.maxSeconds * 1000) return undefined;
  return { retry: number, delayMs, reason: verdict.reason ?? describe(error) };
}

function describe(error: unknown): string {
  const { name, code } = error as { name?: string; code?: unknown };
  return typeof code === 'string' ? code : (name ?? String(error));
}
