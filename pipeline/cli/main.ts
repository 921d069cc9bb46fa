import { parseWellFormed, runnable } from './command-spec.js';
import { fastCommands } from './commands/fast.js';
import { reportError } from './report-error.js';
import { routeRuntimeWarnings } from '../runtime-warnings.js';

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad input, 3 conflict (DESIGN.md). */
export async function main(argv: string[]): Promise<number> {
  routeRuntimeWarnings();
  try {
    // A well-formed consumer command runs without commander; help and every malformed invocation go to commander.
    const [name, ...rest] = argv;
    const spec = name !== undefined && Object.hasOwn(fastCommands, name) ? await fastCommands[name]!() : undefined;
    const args = spec && parseWellFormed(spec, rest);
    if (spec && args) {
      await runnable(spec)(...args);
      return 0;
    }
  } catch (error) {
    return reportError(error);
  }
  return runCommander(argv);
}

async function runCommander(argv: string[]): Promise<number> {
  const { Command, CommanderError } = await import('commander');
  const { commands } = await import('./commands/index.js');
  const program = new Command('osimage')
    .description('Publish a confidential-computing OS release to the clouds, and discover it again.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Results go to stdout, logs to stderr. Exit codes: 0 ok, 1 failure, 2 bad input, 3 conflict (a published release).

Get started (no cloud account: publishes a sample image into .osimage/bucket):
  $ osimage run --version v0.1.0-pre-local --commit $(git rev-parse HEAD)
  $ osimage lookup v0.1.0-pre-local-$(git rev-parse HEAD) --csp qemu

A release: copy config/release.example.yaml, then
  $ osimage config validate release.yaml
  $ osimage run --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --dry-run`,
    )
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
