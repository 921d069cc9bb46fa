import { ComputeManagementClient } from '@azure/arm-compute';
import type { AzureConfig } from '../../../config/azure.js';
import { InputError, OsimageError } from '../../../pipeline/errors.js';
import type { UploadContext } from '../uploader.js';
import { azureCredential } from './credential.js';

/** What every Azure module works with: the step's context, its config section and one ARM client. */
export interface AzureRun {
  readonly ctx: UploadContext;
  readonly config: AzureConfig;
  readonly compute: ComputeManagementClient;
}

/** What calls on existing resources need (lifecycle commands have no image to upload): the config, the client, a log and a signal. */
export type AzureSession = Pick<AzureRun, 'config' | 'compute'> & { readonly ctx: Pick<UploadContext, 'log' | 'signal'> };

export async function openAzureRun(ctx: UploadContext): Promise<AzureRun> {
  const config = ctx.config.azure;
  if (!config) throw new InputError('the azure image is built but the config has no azure section', 'add an azure: section (see config/release.example.yaml)');
  const compute = new ComputeManagementClient(await azureCredential(config), config.subscriptionId, {
    endpoint: config.endpoints.arm,
  });
  return { ctx, config, compute };
}

/** Options for one long-running operation: the configured poll interval, stopped by Ctrl-C or by `minutes`. */
export function lroOptions(run: AzureSession, minutes?: number): { updateIntervalInMs: number; abortSignal: AbortSignal } {
  const signals = [run.ctx.signal];
  if (minutes !== undefined) signals.push(AbortSignal.timeout(minutes * 60_000));
  return { updateIntervalInMs: run.config.pollIntervalSeconds * 1000, abortSignal: AbortSignal.any(signals) };
}

/** A GET that answers undefined for a resource that does not exist. */
export async function getIfExists<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * Runs one ARM call and turns its failure into an error that says what was being done, with ARM's status, code and
 * message, and nothing of the request (its headers hold the bearer token).
 */
export async function arm<T>(what: string, call: () => Promise<T>, hint?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OsimageError) throw error;
    const { statusCode, code, message, name } = error as { statusCode?: number; code?: string; message?: string; name?: string };
    if (name === 'AbortError') throw new OsimageError(`${what}: stopped (interrupted or timed out)`, 'run the same command again to resume');
    const reason = [statusCode && `HTTP ${statusCode}`, code, message].filter(Boolean).join(' ');
    throw new OsimageError(`${what} failed: ${reason}`, hint ?? 'run the same command again: finished work is reused');
  }
}

/** The resource id of a gallery image version: what the lookup table holds when the gallery is not shared. */
export function versionId(config: AzureConfig, definition: string, version: string): string {
  return `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.Compute/galleries/${config.gallery}/images/${definition}/versions/${version}`;
}
