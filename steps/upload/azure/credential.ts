import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { AzureConfig } from '../../../config/azure.js';
import { resolveSecret } from '../../../config/secret.js';

/**
 * The ARM credential: a bearer token the user handed over (`azure.accessToken`, e.g. from
 * `az account get-access-token`), or else DefaultAzureCredential, which covers GitHub OIDC (workload identity),
 * managed identities, environment variables and the Azure CLI login.
 */
export async function azureCredential(config: AzureConfig): Promise<TokenCredential> {
  if (config.accessToken) {
    const token = (await resolveSecret(config.accessToken)).trim();
    // A token handed over has no known expiry here; ARM rejects it once it has expired, with a clear 401.
    const accessToken: AccessToken = { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    return { getToken: async () => accessToken };
  }
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}
