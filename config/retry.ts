import { z } from 'zod';

/**
 * `retry:` of a cloud's section (and of the store): how long transient failures (throttling, 5xx, dropped
 * connections) are retried before a call fails. Each retry waits a random time up to twice the one before (full
 * jitter, from 0.5 s, at most `maxDelaySeconds`), or what the server asked for with Retry-After.
 */
export function retryConfig(defaults: { maxAttempts: number; maxSeconds: number }) {
  return z
    .strictObject({
      maxAttempts: z.int().min(1).max(50).default(defaults.maxAttempts).describe('attempts per call, the first one included'),
      maxSeconds: z.number().positive().max(3600).default(defaults.maxSeconds).describe('no retry starts this long after the first attempt'),
      maxDelaySeconds: z.number().positive().max(300).default(30).describe('the longest single wait between attempts'),
    })
    .prefault({})
    .describe('retries of transient failures: throttling, 5xx, dropped connections');
}

export type RetryConfig = z.infer<ReturnType<typeof retryConfig>>;
