import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../pipeline/errors.js';

/**
 * A secret is never written into a config file. It is either `env:NAME` (read from the environment when it is
 * used) or the path of a file that holds it. The config object keeps only the reference, so logging or printing a
 * config can never leak the secret.
 */
export const secretRef = z
  .string()
  .min(1)
  .refine((value) => !value.includes('-----BEGIN') && !value.includes('\n'), {
    message: 'secrets never sit in the config file: give env:NAME (an environment variable) or the path of a file',
  });

export type SecretRef = z.infer<typeof secretRef>;

export class SecretError extends InputError {}

/** Reads the secret a reference names. The error names the reference, never the value. */
export async function resolveSecret(ref: SecretRef): Promise<string> {
  if (ref.startsWith('env:')) {
    const name = ref.slice('env:'.length);
    const value = process.env[name];
    if (!value) throw new SecretError(`the environment variable ${name} (from "${ref}") is not set or empty`);
    return value;
  }
  try {
    return await readFile(ref, 'utf8');
  } catch (error) {
    throw new SecretError(`cannot read the secret file ${ref}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
