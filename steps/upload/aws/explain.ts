import { describeError, isNetworkError } from '../checklist.js';

/** Where the AWS SDK's default chain looks for credentials, in its order. */
export const AWS_CREDENTIAL_SOURCES =
  'environment (AWS_ACCESS_KEY_ID), shared config and credentials files (profile ' +
  `${process.env.AWS_PROFILE ?? 'default'}), SSO, web identity (AWS_WEB_IDENTITY_TOKEN_FILE, e.g. GitHub OIDC), ` +
  'container credentials, instance metadata';

const LOGIN =
  'log in: `aws sso login --profile NAME` and export AWS_PROFILE=NAME, or export AWS_PROFILE for a profile with keys; ' +
  'in GitHub Actions, aws-actions/configure-aws-credentials with role-to-assume';

/** An AWS SDK error in words, with what to do about it; credential problems say where the SDK looked. */
export function explainAwsError(error: unknown, permission?: string): { cause: string; fix: string } {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as { message?: string }).message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return { cause: `no AWS credentials found; the SDK tried: ${AWS_CREDENTIAL_SOURCES}`, fix: LOGIN };
  }
  if (/ExpiredToken|TokenRefreshRequired|RequestExpired/.test(name) || /token.*expired|expired.*token|refresh failed/i.test(message)) {
    return { cause: `the AWS credentials have expired (${describeError(error)})`, fix: `log in again: ${LOGIN}` };
  }
  if (/^(AuthFailure|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId)$/.test(name)) {
    return { cause: `AWS rejected the credentials (${describeError(error)})`, fix: `check which identity is used (aws sts get-caller-identity); ${LOGIN}` };
  }
  if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation|Forbidden)$/.test(name)) {
    return { cause: `not allowed (${describeError(error)})`, fix: `grant the identity ${permission ?? 'the permission'} (see the README's IAM policy)` };
  }
  if (isNetworkError(error)) {
    return { cause: `AWS is not reachable (${describeError(error)})`, fix: 'check the network, and any endpoint set in the aws section of the config' };
  }
  return { cause: describeError(error), fix: 'check the aws section of the config; run again if AWS had a passing problem' };
}
