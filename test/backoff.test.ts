import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, retryAfterMs, withRetries, type RetryEvent } from '../discovery/backoff.js';

test('full jitter: each wait is random below min(cap, base·2^(retry-1))', () => {
  const backoff = { baseMs: 500, capMs: 3_000 };
  assert.equal(backoffDelay(1, backoff, () => 0.999_999), 499);
  assert.equal(backoffDelay(3, backoff, () => 0.5), 1_000);
  assert.equal(backoffDelay(10, backoff, () => 0.999_999), 2_999, 'capped');
  assert.equal(backoffDelay(4, backoff, () => 0), 0);
});

test('Retry-After is read as delta-seconds or as an HTTP date', () => {
  const now = Date.parse('Wed, 02 Dec 2026 07:00:00 GMT');
  assert.equal(retryAfterMs('3', now), 3_000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Wed, 02 Dec 2026 07:00:05 GMT', now), 5_000);
  assert.equal(retryAfterMs('Wed, 02 Dec 2026 06:59:00 GMT', now), 0, 'a date in the past: no wait');
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

const transient = () => ({ retry: true, reason: 'HTTP 503' });

test('retries until success, reporting each retry, and honours the server\'s wait', async () => {
  const events: RetryEvent[] = [];
  let attempts = 0;
  const result = await withRetries(
    async () => {
      if (++attempts < 3) throw new Error('503');
      return 'done';
    },
    { maxAttempts: 5, maxSeconds: 10, classify: () => ({ retry: true, afterMs: 1, reason: 'HTTP 429' }), onRetry: (event) => events.push(event) },
  );
  assert.equal(result, 'done');
  assert.deepEqual(events, [{ retry: 1, delayMs: 1, reason: 'HTTP 429' }, { retry: 2, delayMs: 1, reason: 'HTTP 429' }]);
});

test('stops at maxAttempts, at a failure it may not retry, and before a wait past maxSeconds', async () => {
  let attempts = 0;
  const failing = async () => {
    attempts++;
    throw new Error(`failure ${attempts}`);
  };
  await assert.rejects(withRetries(failing, { maxAttempts: 3, maxSeconds: 10, classify: transient, backoff: { baseMs: 1, capMs: 1 } }), /failure 3/);
  attempts = 0;
  await assert.rejects(withRetries(failing, { maxAttempts: 3, maxSeconds: 10, classify: () => ({ retry: false }) }), /failure 1/);
  attempts = 0;
  const started = Date.now();
  await assert.rejects(withRetries(failing, { maxAttempts: 10, maxSeconds: 1, classify: () => ({ retry: true, afterMs: 5_000 }) }), /failure 1/);
  assert.ok(Date.now() - started < 1_000, 'a Retry-After beyond the time left ends the retries at once');
});
