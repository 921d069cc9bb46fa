import type { OptionSpec } from '../command-spec.js';

/** The flags that say where discovery reads from: lookup and versions read tables, which a user repository replaces. */
export const BASE_URL_OPTION: OptionSpec = {
  flags: '--base-url <url>',
  description: 'the published store: https://…, or file://<dir> for a local run (env OSIMAGE_BASE_URL)',
};
export const REPOSITORY_OPTION: OptionSpec = {
  flags: '--repository <url>',
  description: 'your own repository of lookup tables, instead of the published one (env OSIMAGE_REPOSITORY)',
};
export const CONFIG_OPTION: OptionSpec = {
  flags: '--config <file>',
  description: 'take the URL from this config when no flag or env gives one (default: the embedded local config)',
};
export const TABLE_SOURCE_OPTIONS: OptionSpec[] = [BASE_URL_OPTION, REPOSITORY_OPTION, CONFIG_OPTION];

export const TABLE_SOURCE_HELP =
  '\nWhere it reads from, first found wins: --repository or --base-url; $OSIMAGE_REPOSITORY, then $OSIMAGE_BASE_URL;\n' +
  'the config\'s repository, else its publicBaseUrl (with no --config: file://.osimage/bucket, the store of a local run).\n' +
  'URLs must be https (plain http only to 127.0.0.1 or localhost) or file://.\n';

export const MEASUREMENTS_SOURCE_HELP =
  '\nWhere it reads from, first found wins: --base-url, $OSIMAGE_BASE_URL, the config\'s publicBaseUrl (with no --config:\n' +
  'file://.osimage/bucket, the store of a local run). A user repository (--repository) holds only lookup tables: the\n' +
  'measurements of an image are the publisher\'s. URLs must be https (plain http only to 127.0.0.1 or localhost) or file://.\n';

export const CSP_OPTION: OptionSpec = { flags: '--csp <csp>', description: 'the cloud', choices: ['aws', 'azure', 'gcp', 'qemu'], required: true };

/** The same result contract as every other command: `--output text|json`, or `--json`. */
export const OUTPUT_OPTIONS: OptionSpec[] = [
  { flags: '--output <format>', description: 'how the result is printed: text (default) or json', choices: ['text', 'json'] },
];
