import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { networkCode, type Retrier, type Verdict } from './retry.js';

/** The AWS SDK v3 retry hook (smithy's RetryStrategyV2), by way of a client config so that no SDK-internal package is named. */
type RetryStrategyV2 = Extract<NonNullable<S3ClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1];

interface PolicyToken extends RetryToken {
  readonly started: number;
}

/**
 * The client options that put every AWS SDK client (EC2, S3, multipart parts) on the tool's retry policy. The SDK
 * classifies the failure (throttling such as RequestLimitExceeded and SlowDown, transient network errors, 5xx) and
 * reads Retry-After; the policy decides whether and how long to wait. Every AWS call is safe to repeat: reads and
 * deletes are idempotent, CopyImage and ImportSnapshot carry a ClientToken, RegisterImage has a unique name (a
 * repeat answers InvalidAMIName.Duplicate and the step adopts the AMI), S3 writes replace or are conditional.
 */
export function awsRetryOptions(retrier: Retrier): { retryStrategy: RetryStrategyV2; maxAttempts: number } {
  return { retryStrategy: new PolicyRetryStrategy(retrier), maxAttempts: retrier.limits.maxAttempts };
}

class PolicyRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'osimage';

  constructor(private readonly retrier: Retrier) {}

  async acquireInitialRetryToken(): Promise<PolicyToken> {
    return token(0, 0, Date.now());
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<PolicyToken> {
    const { started } = previous as PolicyToken;
    const attempt = previous.getRetryCount() + 1;
    const retry = this.retrier.next('an AWS request', attempt, info, verdictOf, started);
    // The SDK throws the call's own error when the strategy refuses another attempt.
    if (!retry) throw info.error ?? new Error('no retry');
    return token(attempt, retry.delayMs, started);
  }

  recordSuccess(): void {}
}

function verdictOf(error: unknown): Verdict {
  const info = error as RetryErrorInfo;
  const afterMs = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : undefined;
  const status = (info.error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const name = networkCode(info.error) ?? (info.error as { name?: string } | undefined)?.name ?? info.errorType;
  return { retry: info.errorType !== 'CLIENT_ERROR', afterMs, reason: status ? `${name} (HTTP ${status})` : name };
}

function token(count: number, delay: number, started: number): PolicyToken {
  return { started, getRetryCount: () => count, getRetryDelay: () => delay };
}
