/**
 * Turns the workflow's `clouds` input ("aws,gcp") into the JSON array its matrix runs over, refusing unknown or
 * repeated clouds before any job starts. Usage: node dist/scripts/cloud-matrix.js aws,azure,gcp,qemu
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CSPS, type Csp } from '../discovery/version.js';
import { InputError } from '../pipeline/errors.js';

export function parseClouds(list: string): Csp[] {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new InputError('no clouds given', `name one or more of ${CSPS.join(', ')}, comma-separated`);
  const clouds: Csp[] = [];
  for (const name of names) {
    if (!(CSPS as readonly string[]).includes(name)) throw new InputError(`unknown cloud "${name}"`, `expected one of ${CSPS.join(', ')}`);
    if (clouds.includes(name as Csp)) throw new InputError(`cloud "${name}" is named twice`);
    clouds.push(name as Csp);
  }
  return clouds;
}

// Run as a script (node resolves a symlinked path to the real file, hence realpath).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    process.stdout.write(`${JSON.stringify(parseClouds(process.argv[2] ?? ''))}\n`);
  } catch (error) {
    const { message, hint, exitCode } = error as InputError;
    process.stderr.write(`error: ${message}${hint ? `\n  ${hint}` : ''}\n`);
    process.exitCode = exitCode ?? 1;
  }
}
