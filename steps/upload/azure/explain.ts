import { describeError, isNetworkError } from '../checklist.js';

/** What DefaultAzureCredential tries, in its order. */
const CHAIN =
  'DefaultAzureCredential tried: environment (AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret or certificate), workload identity ' +
  '(AZURE_FEDERATED_TOKEN_FILE, e.g. GitHub OIDC), managed identity, Azure CLI, Azure PowerShell, Azure Developer CLI';

const LOGIN =
  'log in: `az login` (then `az account set --subscription ID`); in GitHub Actions, azure/login with OIDC; or set azure.accessToken';

/** An Azure SDK or ARM error in words: credential problems say what the chain tried and how to log in. */
export function explainAzureError(error: unknown): { cause: string; fix: string } {
  const { name, statusCode, code, message } = error as { name?: string; statusCode?: number; code?: string; message?: string };
  if (name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError' || name === 'AuthenticationRequiredError') {
    return { cause: `no Azure login found; ${CHAIN}`, fix: LOGIN };
  }
  if (statusCode === 401 || code === 'InvalidAuthenticationToken' || code === 'ExpiredAuthenticationToken') {
    return { cause: `ARM rejected the credential (HTTP 401 ${code ?? ''})`.trim(), fix: `log in again, or renew azure.accessToken: ${LOGIN}` };
  }
  if (statusCode === 403 || code === 'AuthorizationFailed') {
    return { cause: `not allowed (HTTP 403 ${code ?? ''}): ${message ?? ''}`.trim(), fix: 'grant the identity a role on the resource group that can read and write galleries (e.g. Contributor)' };
  }
  if (code === 'ResourceGroupNotFound' || code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') {
    return { cause: `${code}: ${message ?? ''}`, fix: 'check azure.subscriptionId and azure.resourceGroup in the config, and `az account show`' };
  }
  if (isNetworkError(error)) return { cause: `ARM is not reachable (${describeError(error)})`, fix: 'check the network, and azure.endpoints.arm if set' };
  const reason = [statusCode && `HTTP ${statusCode}`, code, message].filter(Boolean).join(' ');
  return { cause: reason || describeError(error), fix: 'check the azure section of the config; run again if Azure had a passing problem' };
}
