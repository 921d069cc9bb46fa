import type { OptionSpec } from '../command-spec.js';

/** The flags that say where discovery reads from, shared by lookup, measurements and versions. */
export const SOURCE_OPTIONS: OptionSpec[] = [
  { flags: '--base-url <url>', description: 'the published store: https://…, or file://<dir> for a local run (env OSIMAGE_BASE_URL)' },
  { flags: '--repository <url>', description: 'your own repository of lookup tables, instead of the published one (env OSIMAGE_REPOSITORY)' },
  {
    flags: '--config <file>',
    description: 'read repository/publicBaseUrl from this config when no flag or env gives a URL (default: the embedded local config)',
  },
];

export const SOURCE_HELP =
  '\nWhere it reads from, first found wins: --repository or --base-url; $OSIMAGE_REPOSITORY, then $OSIMAGE_BASE_URL;\n' +
  'the config\'s repository, else its publicBaseUrl (with no --config: file://.osimage/bucket, the store of a local run).\n' +
  'URLs must be https (plain http only to 127.0.0.1 or localhost) or file://.\n';

export const CSP_OPTION: OptionSpec = { flags: '--csp <csp>', description: 'the cloud', choices: ['aws', 'azure', 'gcp', 'qemu'], required: true };
