import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { loadSigner, readPassword } from '../../signing.js';

export async function signCommand(file: string, options: { key: string; out?: string }): Promise<void> {
  const signer = await loadSigner(options.key, { password: () => readPassword('env:COSIGN_PASSWORD') });
  const data = await readInput(file);
  const output = options.out ?? `${file}.sig`;
  await writeFile(output, signer.sign(data));
  process.stderr.write(`wrote ${output}\n`);
}

export async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
