import { AbortedError } from '../../pipeline/errors.js';
import type { Check } from './uploader.js';

/** How a cloud turns a failed read into words: what went wrong and what to do. */
export type Explain = (error: unknown) => { cause: string; fix: string };

/**
 * Collects the checks of one cloud's preflight. A read that fails becomes a failed check, explained the way its cloud
 * explains errors, so one failure never hides the checks after it; only an interrupt stops the list.
 */
export class Checklist {
  readonly checks: Check[] = [];

  constructor(
    private readonly explain: Explain,
    private readonly signal: AbortSignal,
  ) {}

  pass(what: string): void {
    this.checks.push({ what, ok: true });
  }

  fail(what: string, cause: string, fix: string): void {
    this.checks.push({ what, ok: false, cause, fix });
  }

  /** Runs a read-only call; on failure records `what` as failed and answers undefined. */
  async read<T>(what: string, call: () => Promise<T>): Promise<{ value: T } | undefined> {
    try {
      return { value: await call() };
    } catch (error) {
      if (this.signal.aborted) throw new AbortedError();
      const { cause, fix } = this.explain(error);
      this.fail(what, cause, fix);
      return undefined;
    }
  }
}

/** The name and message of an SDK error, without its request (which may carry a token). */
export function describeError(error: unknown): string {
  const { name, code, message } = error as { name?: string; code?: unknown; message?: string };
  const label = typeof code === 'string' && code !== name ? `${name ?? 'Error'} ${code}` : (name ?? 'Error');
  return `${label}: ${message ?? String(error)}`;
}

/** Connection failures: DNS, refused, reset, timed out. */
export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(code);
}
