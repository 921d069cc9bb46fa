import type { Csp } from '../discovery/version.js';
import type { Config } from './schema.js';
import type { SecretRef } from './secret.js';

/** One secret a run reads: where the config names it, and the reference (never the value). */
export interface NeededSecret {
  /** The key path in the config, e.g. `gcp.accessToken`. */
  key: string;
  ref: SecretRef;
}

/**
 * Every secret a run of these clouds reads, so that it can be resolved before the first cloud write: the signing key
 * and its password (when the run signs), and each cloud's token. The signing key itself is checked by loading it
 * (pipeline/signing.ts), since a present but unreadable key is as bad as a missing one.
 */
export function secretsNeeded(config: Config, csps: readonly Csp[], options: { signs: boolean }): NeededSecret[] {
  const needed: NeededSecret[] = [];
  if (options.signs && 'key' in config.signing) {
    needed.push({ key: 'signing.key', ref: config.signing.key });
    if (config.signing.password) needed.push({ key: 'signing.password', ref: config.signing.password });
  }
  if (csps.includes('azure') && config.azure?.accessToken) needed.push({ key: 'azure.accessToken', ref: config.azure.accessToken });
  if (csps.includes('gcp') && config.gcp?.accessToken) needed.push({ key: 'gcp.accessToken', ref: config.gcp.accessToken });
  return needed;
}
