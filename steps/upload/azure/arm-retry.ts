import type { ComputeManagementClient } from '@azure/arm-compute';
import { retryAfterMs } from '../../../discovery/backoff.js';
import { isTransientStatus, networkCode, type Retrier, type Verdict } from '../../../pipeline/retry.js';

type Pipeline = ComputeManagementClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];
type PipelineResponse = Awaited<ReturnType<PipelinePolicy['sendRequest']>>;

/** core-rest-pipeline's name for the retry policy every Azure SDK client gets by default (three retries). */
const SDK_RETRY_POLICY = 'defaultRetryPolicy';

/**
 * Puts the ARM client on the tool's retry policy in place of the SDK's: every request, the long-running operations'
 * polls included, is retried on 429, 5xx, dropped connections and a 409 that says another operation is still at
 * work on the resource, waiting what ARM asks (Retry-After, or retry-after-ms) or the policy's backoff. Every ARM call the step makes is safe to repeat: reads, PUT
 * (createOrUpdate, idempotent by ARM's contract), DELETE, and the disk-access POSTs (grant again, revoke again).
 */
export function useArmRetryPolicy(client: ComputeManagementClient, retrier: Retrier): void {
  const removed = client.pipeline.removePolicy({ name: SDK_RETRY_POLICY });
  if (removed.length === 0) throw new Error(`the ARM client has no ${SDK_RETRY_POLICY} to replace: @azure/core-rest-pipeline changed`);
  client.pipeline.addPolicy(armRetryPolicy(retrier), { phase: 'Retry' });
}

class RetryableResponse extends Error {
  constructor(readonly response: PipelineResponse) {
    super(`HTTP ${response.status}`);
  }
}

function armRetryPolicy(retrier: Retrier): PipelinePolicy {
  return {
    name: 'osimageArmRetryPolicy',
    async sendRequest(request, next) {
      const what = `ARM ${request.method} ${new URL(request.url).pathname}`;
      try {
        return await retrier.run(
          what,
          async () => {
            const response = await next(request);
            if (isTransientStatus(response.status) || isBusy(response)) throw new RetryableResponse(response);
            return response;
          },
          verdictOf,
          // The step hands every call a Node AbortSignal (lroOptions); core-rest-pipeline types it as a look-alike.
          request.abortSignal as AbortSignal | undefined,
        );
      } catch (error) {
        // Out of retries: the client turns the last answer into its error, with ARM's code and message.
        if (error instanceof RetryableResponse) return error.response;
        throw error;
      }
    },
  };
}

/**
 * ARM's 409 for a resource that an operation still works on: a repeated PUT whose first answer was lost meets the
 * first one still running. It passes once that operation ends; any other 409 is a real conflict.
 */
function isBusy(response: PipelineResponse): boolean {
  if (response.status !== 409 || !response.bodyAsText) return false;
  try {
    const { code, message } = (JSON.parse(response.bodyAsText) as { error?: { code?: string; message?: string } }).error ?? {};
    return code === 'AnotherOperationInProgress' || (code === 'OperationNotAllowed' && /while it is|in progress/i.test(message ?? ''));
  } catch {
    return false;
  }
}

function verdictOf(error: unknown): Verdict {
  if (error instanceof RetryableResponse) {
    const { headers, status } = error.response;
    const afterMs = Number(headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms') ?? Number.NaN);
    return {
      retry: true,
      afterMs: Number.isFinite(afterMs) ? afterMs : retryAfterMs(headers.get('retry-after')),
      reason: `HTTP ${status}`,
    };
  }
  const code = networkCode(error);
  return code ? { retry: true, reason: code } : { retry: false };
}
