import type { Command } from 'commander';
import type { Config } from '../../../config/schema.js';
import { CSPS } from '../../../discovery/version.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('validate')
    .description('check a config file and print it with every default filled in')
    .argument('[file]', 'the config file (default: the embedded config/local.yaml)')
    .option('--env', 'also check that every secret the config names (env:NAME or a file) can be read; exit 2 if not')
    .addHelpText(
      'after',
      `
Secrets never sit in the file: a secret value is env:NAME (read from the environment when used) or a file path.
Every key is documented in config/release.example.yaml.

--env checks the secrets of every configured cloud and the signing key, one line each on stderr, never their values.

Examples:
  $ osimage config validate release.yaml
  $ osimage config validate            # the embedded default
  $ osimage config validate --env release.yaml
  ✔ signing.key (env:OSIMAGE_SIGNING_KEY)
  ✘ gcp.accessToken (env:GCP_ACCESS_TOKEN): the environment variable GCP_ACCESS_TOKEN (from "env:GCP_ACCESS_TOKEN") is not set or empty`,
    )
    .action(async (file: string | undefined, options: { env?: boolean }) => {
      const { loadConfig } = await import('../../../config/load.js');
      const loaded = await loadConfig(file);
      process.stderr.write(`${loaded.file}: valid\n`);
      if (options.env) await checkEnvironment(loaded.config);
      process.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
    });
}

async function checkEnvironment(config: Config): Promise<void> {
  const { checkSecrets } = await import('../../check-secrets.js');
  const { InputError } = await import('../../errors.js');
  const checks = await checkSecrets(config, CSPS, { signs: true });
  for (const check of checks) process.stderr.write(`${check.problem ? '✘' : '✔'} ${check.key} (${check.ref})${check.problem ? `: ${check.problem}` : ''}\n`);
  if (checks.length === 0) process.stderr.write('the config names no secrets\n');
  const missing = checks.filter((check) => check.problem).length;
  if (missing > 0) throw new InputError(`${missing} of the ${checks.length} secrets the config needs cannot be read`);
}
