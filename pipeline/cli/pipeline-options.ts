import { Option, type Command } from 'commander';
import { CSPS, type Csp } from '../../discovery/version.js';
import { InputError } from '../errors.js';

/** The flags every pipeline command shares. */
export interface PipelineFlags {
  version: string;
  commit: string;
  repo?: string;
  config?: string;
  csp?: Csp[];
  image?: Partial<Record<Csp, string>>;
  dryRun?: boolean;
  extend?: boolean;
  replace?: boolean;
}

export function addInputOptions(command: Command): Command {
  return command
    .requiredOption('--version <version>', 'release (v2.2.0) or pseudo version (v2.3.0-pre-debug, v2.3.0-pre-<branch>)')
    .requiredOption('--commit <commit>', 'the full 40-character commit hash the images were built from')
    .option('--repo <dir>', 'a git checkout in which to resolve a short --commit')
    .option('--config <file>', 'the config file (default: the embedded config/local.yaml)');
}

export function addImageOptions(command: Command): Command {
  return command.addOption(
    new Option('--image <csp=path>', 'the raw image of a cloud, instead of the config (repeatable)').argParser(parseImage),
  );
}

export const cspListOption = () =>
  new Option('--csp <list>', `clouds to build, comma-separated (${CSPS.join(',')}); default: every configured cloud`).argParser(parseCspList);

export const extendOption = () =>
  new Option('--extend', 'let a published release grow: add new regions or clouds, never change a published reference');

export const replaceOption = () =>
  new Option(
    '--replace',
    'pseudo versions only: delete what earlier runs made for this uid on each cloud of the run (another image) and publish afresh',
  );

export const dryRunOption = () =>
  new Option('--dry-run', 'run local stages and read-only cloud checks, print the plan, write nothing remote');

export function parseCsp(value: string): Csp {
  if (!(CSPS as readonly string[]).includes(value)) throw new InputError(`unknown cloud "${value}": expected one of ${CSPS.join(', ')}`);
  return value as Csp;
}

function parseCspList(value: string): Csp[] {
  return value.split(',').filter(Boolean).map(parseCsp);
}

function parseImage(value: string, previous: Partial<Record<Csp, string>> = {}): Partial<Record<Csp, string>> {
  const match = /^([a-z]+)=(.+)$/.exec(value);
  if (!match) throw new InputError(`--image ${value}: expected CSP=PATH, e.g. --image qemu=out/qemu.raw`);
  return { ...previous, [parseCsp(match[1]!)]: match[2]! };
}
