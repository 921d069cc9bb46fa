import { describeError, isNetworkError } from '../checklist.js';
import { httpStatus } from './clients.js';

const LOGIN =
  'log in: `gcloud auth application-default login`, or point GOOGLE_APPLICATION_CREDENTIALS at a service account key; ' +
  'in GitHub Actions, google-github-actions/auth with workload identity; or set gcp.accessToken';

/** A Google SDK error in words: a missing login says what Application Default Credentials tried and how to log in. */
export function explainGcpError(error: unknown, permission: string): { cause: string; fix: string } {
  const message = (error as { message?: string }).message ?? '';
  if (/Could not load the default credentials|Unable to detect a Project Id|metadata\.google\.internal/i.test(message)) {
    return {
      cause: 'no Google credentials found; Application Default Credentials tried GOOGLE_APPLICATION_CREDENTIALS, gcloud\'s application-default login and the GCE metadata server',
      fix: LOGIN,
    };
  }
  const status = httpStatus(error);
  if (status === 401) return { cause: `Google rejected the credentials (HTTP 401: ${message})`, fix: `log in again: ${LOGIN}` };
  if (status === 403) return { cause: `not allowed (HTTP 403: ${message})`, fix: `grant the identity ${permission}` };
  if (isNetworkError(error)) return { cause: `Google Cloud is not reachable (${describeError(error)})`, fix: 'check the network, and gcp.endpoints if set' };
  return { cause: describeError(error), fix: 'check the gcp section of the config; run again if Google had a passing problem' };
}
