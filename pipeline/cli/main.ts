import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { reportError } from './report-error.js';

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad input, 3 conflict (DESIGN.md). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('osimage')
    .description('Publish a confidential-computing OS release to the clouds, and discover it again.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error);
  }
}
