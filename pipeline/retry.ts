import { nextRetry, withRetries, type Backoff, type RetryEvent, type RetryLimits, type Verdict } from '../discovery/backoff.js';
import type { RetryConfig } from '../config/retry.js';
import type { Logger } from './logger.js';

export { isTransientStatus, type Verdict } from '../discovery/backoff.js';

/** Retries per scope (`aws`, `azure`, `gcp`, `store`) during one run, for the run summary. */
export class RetryCounts {
  private readonly counts = new Map<string, number>();

  add(scope: string): void {
    this.counts.set(scope, (this.counts.get(scope) ?? 0) + 1);
  }

  of(scope: string): number {
    return this.counts.get(scope) ?? 0;
  }

  /** Only the scopes that retried at all. */
  summary(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/**
 * The retry policy of one scope (a cloud, or the store): its limits, and what happens at each retry (a debug log
 * line, one more in the scope's count). The SDKs' own retry hooks ask it `next()`; calls they do not retry soundly
 * go through `run()`. Either way it is the same backoff (discovery/backoff.ts).
 */
export class Retrier {
  readonly limits: RetryLimits;
  readonly backoff: Backoff;

  constructor(
    readonly scope: string,
    readonly config: RetryConfig,
    private readonly log: Logger,
    private readonly counts: RetryCounts,
  ) {
    this.limits = { maxAttempts: config.maxAttempts, maxSeconds: config.maxSeconds };
    this.backoff = { baseMs: 500, capMs: config.maxDelaySeconds * 1000 };
  }

  /** Runs `call`, retrying what `classify` calls transient. Only for idempotent calls, or calls made safe to repeat. */
  run<T>(what: string, call: () => Promise<T>, classify: (error: unknown) => Verdict, signal?: AbortSignal): Promise<T> {
    return withRetries(call, { ...this.limits, backoff: this.backoff, classify, signal, onRetry: (event) => this.noted(what, event) });
  }

  /**
   * For an SDK's retry loop: the retry after attempt `attempt` (begun at `started`) failed, or undefined to stop.
   * The retry is logged and counted.
   */
  next(what: string, attempt: number, error: unknown, classify: (error: unknown) => Verdict, started: number): RetryEvent | undefined {
    const event = nextRetry(attempt, error, { ...this.limits, backoff: this.backoff, classify }, started);
    if (event) this.noted(what, event);
    return event;
  }

  /** An SDK that runs its own backoff reports each retry here. */
  noted(what: string, event: Partial<RetryEvent> & { reason: string }): void {
    this.counts.add(this.scope);
    this.log.debug({ retry: { scope: this.scope, what, ...event } }, `retrying ${what}: ${event.reason}`);
  }
}

/** Node's and undici's names for a connection that failed or broke on the way. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The network error code of an error or of its cause, when it is one. */
export function networkCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
    if (typeof current.code === 'string' && NETWORK_CODES.has(current.code)) return current.code;
    if (typeof current.message === 'string' && /socket hang up|other side closed/i.test(current.message)) return 'ECONNRESET';
  }
  return undefined;
}
