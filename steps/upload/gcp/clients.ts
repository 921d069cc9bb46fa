import type { Storage } from '@google-cloud/storage';
import type { GlobalOperationsClient, ImagesClient } from '@google-cloud/compute';
import type { GcpConfig } from '../../../config/gcp.js';
import { resolveSecret } from '../../../config/secret.js';
import { isTransientStatus, networkCode, type Retrier, type Verdict } from '../../../pipeline/retry.js';

/** The SDK clients of one GCP upload. */
export interface GcpClients {
  storage: Storage;
  images: ImagesClient;
  operations: GlobalOperationsClient;
  /**
   * A Compute call under the retry policy. Over REST, google-gax hands a non-2xx answer to us as a plain error and
   * retries almost nothing itself, so each Compute call goes through here, with gax's own retries off. Only calls
   * that are safe to repeat: reads, waits, IAM reads and etag-guarded writes, and writes that carry a requestId.
   */
  compute<T>(what: string, call: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Call options that turn google-gax's retries off: the policy retries instead (see `compute`). */
export const NO_GAX_RETRY = { retry: { retryCodes: [] as number[] } };

/**
 * Makes the clients, importing the SDKs only now. Credentials are Application Default Credentials (a service
 * account key, gcloud's login, the metadata server, or GitHub's workload identity federation), unless the config
 * names an access token (`accessToken: env:NAME`, e.g. from `gcloud auth print-access-token`): then each SDK gets an
 * OAuth2Client of its own google-auth-library major that holds just that token. The token is never logged.
 *
 * Endpoint overrides (a sandbox, a private endpoint) come from the config: Storage takes the URL as apiEndpoint and
 * keeps authenticating; Compute takes host, port and protocol over its REST transport.
 */
export async function createClients(config: GcpConfig, retrier: Retrier): Promise<GcpClients> {
  // The two Compute clients by their own modules: the package index loads every client and 30 MB of generated
  // protos, seconds of startup that this step does not need.
  const [{ Storage }, { ImagesClient }, { GlobalOperationsClient }, gax, authLibrary] = await Promise.all([
    import('@google-cloud/storage'),
    import('@google-cloud/compute/build/src/v1/images_client.js'),
    import('@google-cloud/compute/build/src/v1/global_operations_client.js'),
    import('google-gax'),
    import('google-auth-library'),
  ]);
  const token = config.accessToken ? await resolveSecret(config.accessToken) : undefined;
  const storageAuth = token ? withToken(new authLibrary.OAuth2Client(), token) : undefined;
  // Compute's google-gax uses a newer google-auth-library major than Storage; each needs a client of its own kind.
  const computeAuth = token ? withToken(new gax.googleAuthLibrary.OAuth2Client(), token) : undefined;

  const { IdempotencyStrategy, RETRYABLE_ERR_FN_DEFAULT } = await import('@google-cloud/storage');
  const storage = new Storage({
    projectId: config.project,
    // The SDK runs the retries (a resumable upload asks GCS how far it got and goes on from there); the policy sets
    // the limits and sees each retry. Retries of writes stay conditional: every write here carries a generation
    // precondition, so none switches them off.
    retryOptions: {
      autoRetry: true,
      maxRetries: retrier.limits.maxAttempts - 1,
      totalTimeout: retrier.limits.maxSeconds,
      // The SDK's first wait is a second (async-retry's minimum), so no cap below it.
      maxRetryDelay: Math.max(1, retrier.config.maxDelaySeconds),
      retryDelayMultiplier: 2,
      idempotencyStrategy: IdempotencyStrategy.RetryConditional,
      retryableErrorFn: (error) => {
        const retry = RETRYABLE_ERR_FN_DEFAULT(error) || isRateLimited(error);
        if (retry) retrier.noted('GCS request', { reason: reasonOf(error) });
        return retry;
      },
    },
    ...(storageAuth ? { authClient: storageAuth } : {}),
    ...(config.endpoints?.storage ? { apiEndpoint: config.endpoints.storage.replace(/\/+$/, ''), useAuthWithCustomEndpoint: true } : {}),
  });
  const computeEndpoint = config.endpoints?.compute ? new URL(config.endpoints.compute) : undefined;
  const computeOptions = {
    fallback: true,
    ...(computeAuth ? { authClient: computeAuth } : {}),
    ...(computeEndpoint
      ? {
          apiEndpoint: computeEndpoint.hostname,
          port: Number(computeEndpoint.port || (computeEndpoint.protocol === 'http:' ? 80 : 443)),
          protocol: computeEndpoint.protocol.replace(':', ''),
        }
      : {}),
  };
  const images = new ImagesClient(computeOptions);
  const operations = new GlobalOperationsClient(computeOptions);
  return {
    storage,
    images,
    operations,
    compute: (what, call) => retrier.run(`GCE ${what}`, call, computeVerdict),
    close: async () => {
      await Promise.all([images.close(), operations.close()]);
    },
  };
}

function withToken<T extends { setCredentials(credentials: { access_token: string }): void }>(client: T, token: string): T {
  client.setCredentials({ access_token: token.trim() });
  return client;
}

/**
 * The HTTP status of a failed Compute call. Over REST, google-gax 6 maps it to a gRPC code (`code: 5` for a 404)
 * and keeps the HTTP one as `httpStatusCode`; Storage errors carry the HTTP status as `code`.
 */
export function httpStatus(error: unknown): number | undefined {
  const { httpStatusCode, code } = error as { httpStatusCode?: unknown; code?: unknown };
  if (typeof httpStatusCode === 'number') return httpStatusCode;
  return typeof code === 'number' ? code : undefined;
}

/** GCE and GCS answer quota throttling with 403 (or 429) and reason `rateLimitExceeded` or `userRateLimitExceeded`. */
function isRateLimited(error: unknown): boolean {
  return /rateLimitExceeded/i.test(reasonOf(error));
}

/** Google's error reason (`rateLimitExceeded`, `backendError`), else the status or the error's code. */
function reasonOf(error: unknown): string {
  const { errors, reason, code } = error as { errors?: Array<{ reason?: unknown }>; reason?: unknown; code?: unknown };
  const first = errors?.find((entry) => typeof entry?.reason === 'string')?.reason;
  return String(first ?? reason ?? httpStatus(error) ?? code ?? 'error');
}

function computeVerdict(error: unknown): Verdict {
  const status = httpStatus(error);
  if (isTransientStatus(status) || isRateLimited(error)) return { retry: true, reason: `HTTP ${status} ${reasonOf(error)}` };
  const code = networkCode(error);
  return code ? { retry: true, reason: code } : { retry: false };
}
