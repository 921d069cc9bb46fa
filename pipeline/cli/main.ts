import { parseWellFormed, runnable } from './command-spec.js';
import { fastCommands } from './commands/fast.js';
import { reportError } from './report-error.js';
import { routeRuntimeWarnings } from '../runtime-warnings.js';
import { InputError } from '../errors.js';
import { logFormat } from '../log-format.js';

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad input, 3 conflict (DESIGN.md). */
export async function main(commandLine: string[]): Promise<number> {
  let argv: string[];
  try {
    argv = takeGlobalFlags(commandLine);
  } catch (error) {
    return reportError(error);
  }
  routeRuntimeWarnings();
  // Only as the whole command line: `run --version v2.2.0` names a release.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${await toolVersion()}\n`);
    return 0;
  }
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
Results go to stdout, logs to stderr. Exit codes: 0 ok, 1 failure, 2 bad input, 3 conflict (a published release),
130 interrupted (Ctrl-C or SIGTERM; finished work stays in the journal). osimage --version prints its version.

Every command takes --debug (debug logs, with each cloud request: method, URL without its query, status, time) and
--log-format pretty|github|json (default: pretty on a terminal, github under GitHub Actions, json lines otherwise).
OSIMAGE_LOG_LEVEL sets the level (trace, debug, info, warn, error, fatal, silent).

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

async function toolVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * `--log-format FORMAT` and `--debug` belong to every command, wherever they stand; they become OSIMAGE_LOG_FORMAT
 * and OSIMAGE_LOG_LEVEL=debug, which the logger reads, and leave the rest of the command line to the command.
 */
function takeGlobalFlags(argv: string[]): string[] {
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    if (arg === '--debug') {
      process.env.OSIMAGE_LOG_LEVEL = 'debug';
    } else if (arg === '--log-format' || arg.startsWith('--log-format=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++index];
      if (!value) throw new InputError('--log-format needs a value: pretty, github or json');
      process.env.OSIMAGE_LOG_FORMAT = value;
      logFormat();
    } else {
      rest.push(arg);
    }
  }
  return rest;
}
