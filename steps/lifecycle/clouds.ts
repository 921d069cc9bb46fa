import type { Csp, Version } from '../../discovery/version.js';
import type { LifecycleContext } from './context.js';
import type { CloudLifecycle } from './resource.js';

export interface CloudOptions {
  /** The version of the uid (Azure derives the gallery version name from it). */
  version: Version;
  deleteEmptyDefinitions?: boolean;
}

/** The clouds with lifecycle modules; qemu has none, its raw image is in the store. */
export const LIFECYCLE_CSPS = ['aws', 'azure', 'gcp'] as const satisfies readonly Csp[];
export type LifecycleCsp = (typeof LIFECYCLE_CSPS)[number];

/** Opens one cloud's lifecycle module, loading its SDK only now; undefined when the config has no section for it. */
export async function openCloud(ctx: LifecycleContext, csp: LifecycleCsp, options: CloudOptions): Promise<CloudLifecycle | undefined> {
  const { config } = ctx;
  if (csp === 'aws' && config.aws) return (await import('./aws.js')).awsLifecycle(config.aws);
  if (csp === 'gcp' && config.gcp) return (await import('./gcp.js')).gcpLifecycle(config.gcp, ctx.signal);
  if (csp === 'azure' && config.azure) {
    return (await import('./azure.js')).azureLifecycle(config.azure, options.version, { ...options, log: ctx.log, signal: ctx.signal });
  }
  return undefined;
}
