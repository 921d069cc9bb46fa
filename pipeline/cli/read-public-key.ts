import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** Reads the PEM public key a `--key` flag names. Checking that it is a usable key is the verifier's job. */
export async function readPublicKey(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the public key ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, 'give the PEM file of the publisher\'s public key');
  }
}
