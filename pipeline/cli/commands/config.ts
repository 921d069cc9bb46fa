import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('validate')
    .description('check a config file and print it with every default filled in')
    .argument('[file]', 'the config file (default: the embedded config/local.yaml)')
    .addHelpText(
      'after',
      `
Secrets never sit in the file: a secret value is env:NAME (read from the environment when used) or a file path.
Every key is documented in config/release.example.yaml.

Examples:
  $ osimage config validate release.yaml
  $ osimage config validate            # the embedded default`,
    )
    .action(async (file?: string) => {
      const { loadConfig } = await import('../../../config/load.js');
      const loaded = await loadConfig(file);
      process.stderr.write(`${loaded.file}: valid\n`);
      process.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
    });
}
