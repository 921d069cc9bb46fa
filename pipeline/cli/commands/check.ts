import type { Command } from 'commander';
import { cspListOption, outputFormat, outputOptions } from '../pipeline-options.js';
import type { CheckFlags } from '../check.js';

export function registerCheck(program: Command): void {
  const command = program
    .command('check')
    .description('check read-only that the store and every cloud are ready: credentials, regions, buckets, roles, quotas')
    .option('--config <file>', 'the config file (default: the embedded config/local.yaml)')
    .addOption(cspListOption());
  for (const option of outputOptions()) command.addOption(option);
  command
    .addHelpText(
      'after',
      `
Runs the checks every run starts with (its preflight), all of them even when one fails, and prints each as ✔ or ✘;
a failed check says its cause and its fix (for a missing login: where the SDK looked and how to log in).
Writes nothing. Exit codes: 0 ready, 1 a check failed, 2 bad input.

Examples:
  $ osimage check --config release.yaml
  $ osimage check --config release.yaml --csp aws --json | jq '.sections[].checks[] | select(.ok | not)'`,
    )
    .action(async (flags: CheckFlags) => {
      const { runCheck } = await import('../check.js');
      await runCheck(flags, outputFormat(flags));
    });
}
