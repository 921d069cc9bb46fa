import type { Csp } from '../discovery/version.js';
import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secret.js';
import { secretsNeeded, type NeededSecret } from '../config/secrets-needed.js';
import { InputError } from './errors.js';
import { readPassword } from './signing.js';

export interface SecretCheck extends NeededSecret {
  /** Why the secret cannot be read; undefined when it can. Names the reference, never the value. */
  problem?: string;
}

/** Reads every secret the run needs (and forgets the values): what is missing is found before the first write. */
export async function checkSecrets(config: Config, csps: readonly Csp[], options: { signs: boolean }): Promise<SecretCheck[]> {
  return Promise.all(
    secretsNeeded(config, csps, options).map(async (secret) => {
      try {
        // A password may be empty (cosign allows it) but must be set.
        await (secret.key === 'signing.password' ? readPassword(secret.ref) : resolveSecret(secret.ref));
        return secret;
      } catch (error) {
        return { ...secret, problem: (error as Error).message };
      }
    }),
  );
}

/** Throws one error naming every secret that cannot be read. */
export async function requireSecrets(config: Config, csps: readonly Csp[], options: { signs: boolean }): Promise<void> {
  const missing = (await checkSecrets(config, csps, options)).filter((check) => check.problem);
  if (missing.length === 0) return;
  throw new InputError(
    `${missing.length === 1 ? 'a secret the run needs is' : `${missing.length} secrets the run needs are`} missing, so nothing was written: ` +
      missing.map((check) => `${check.key}: ${check.problem}`).join('; '),
    'set them in the environment (or fix the files) and run again; osimage config validate --env FILE lists them',
  );
}
