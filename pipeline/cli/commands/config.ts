import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('validate')
    .description('check a config file and print it with every default filled in')
    .argument('[file]', 'the config file, the same as --config')
    .option('--config <file>', 'the config file (default: the embedded config/local.yaml), as every command names it')
    .addHelpText(
      'after',
      `
Secrets never sit in the file: a secret value is env:NAME (read from the environment when used) or a file path.
Every key is documented in config/release.example.yaml.

Examples:
  $ osimage config validate --config release.yaml
  $ osimage config validate release.yaml
  $ osimage config validate            # the embedded default`,
    )
    .action(async (file: string | undefined, options: { config?: string }) => {
      const { loadConfig } = await import('../../../config/load.js');
      const { InputError } = await import('../../errors.js');
      if (file && options.config && file !== options.config) throw new InputError(`config validate ${file} --config ${options.config}: name one file`);
      const loaded = await loadConfig(file ?? options.config);
      process.stderr.write(`${loaded.file}: valid\n`);
      process.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
    });
}
