import { verifySignature } from '../../../discovery/signature.js';
import { InputError, OsimageError } from '../../errors.js';
import { readInput } from './sign-action.js';

export async function verifyCommand(file: string, options: { key: string; signature?: string }): Promise<void> {
  const signaturePath = options.signature ?? `${file}.sig`;
  const [data, signature, key] = await Promise.all([readInput(file), readInput(signaturePath), readInput(options.key)]);
  let valid: boolean;
  try {
    valid = verifySignature(data, signature.toString('utf8'), key.toString('utf8'));
  } catch (error) {
    throw new InputError(`cannot check ${signaturePath} with ${options.key}: ${(error as Error).message}`);
  }
  if (!valid) throw new OsimageError(`the signature ${signaturePath} does not match ${file} and the key ${options.key}`);
  process.stdout.write(`verified ${file}\n`);
}
