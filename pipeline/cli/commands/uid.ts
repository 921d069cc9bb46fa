import type { Command } from 'commander';
import { outputFormat, outputOptions } from '../pipeline-options.js';

export function registerUid(program: Command): void {
  const command = program
    .command('uid')
    .description('print the image version uid of a version and commit')
    .requiredOption('--version <version>', 'release (v2.2.0) or pseudo version (v2.3.0-pre-debug, v2.3.0-pre-<branch>)')
    .requiredOption('--commit <commit>', 'the full 40-character commit hash (a short one with --repo)')
    .option('--repo <dir>', 'a git checkout in which to resolve a short --commit');
  for (const option of outputOptions()) command.addOption(option);
  command
    .addHelpText(
      'after',
      '\nA release uid is the version; a pseudo version\'s uid is <version>-<commit>.\n\n' +
        'Examples:\n' +
        '  $ osimage uid --version v2.2.0 --commit cc0de5c68d41f31dd0b284d574f137e0b0ad106b\n' +
        '  v2.2.0\n' +
        '  $ osimage uid --version v2.3.0-pre-debug --commit cc0de5c --repo .\n' +
        '  v2.3.0-pre-debug-cc0de5c68d41f31dd0b284d574f137e0b0ad106b\n' +
        '  $ osimage uid --version v2.2.0 --commit cc0de5c68d41f31dd0b284d574f137e0b0ad106b --json\n' +
        '  {"uid":"v2.2.0","version":"v2.2.0","commit":"cc0de5c68d41f31dd0b284d574f137e0b0ad106b"}',
    )
    .action(async (options: { version: string; commit: string; repo?: string; output?: string; json?: boolean }) => {
      const { resolveInputs } = await import('../../inputs.js');
      const inputs = await resolveInputs(options);
      const json = outputFormat(options) === 'json';
      process.stdout.write(json ? `${JSON.stringify({ uid: inputs.uid, version: inputs.version.text, commit: inputs.commit })}\n` : `${inputs.uid}\n`);
    });
}
