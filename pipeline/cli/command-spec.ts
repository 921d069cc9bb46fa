import type { Command } from 'commander';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A command declared as data, so that one declaration serves two parsers: commander, which gives `--help`, and the
 * error messages for anything malformed, and a fast path on node:util's parseArgs for a well-formed invocation, which
 * spares `osimage lookup` the cost of loading commander (most of its start-up time beyond `node -e 0`).
 */
export interface CommandSpec {
  name: string;
  description: string;
  /** The one positional argument, when the command takes one. */
  argument?: { name: string; description: string };
  options: OptionSpec[];
  helpAfter: string;
  /** Called with the positional argument (when declared), then the options, as commander calls an action. */
  action: (...args: never[]) => Promise<void>;
}

export interface OptionSpec {
  /** Commander's syntax: `--name <value>` takes a value, `--name` is a switch, `--no-name` sets `name` to false. */
  flags: string;
  description: string;
  choices?: readonly string[];
  required?: boolean;
}

export function registerSpec(program: Command, spec: CommandSpec): void {
  const command = program.command(spec.name).description(spec.description);
  if (spec.argument) command.argument(`<${spec.argument.name}>`, spec.argument.description);
  for (const declared of spec.options) {
    const option = command.createOption(declared.flags, declared.description);
    if (declared.choices) option.choices(declared.choices);
    if (declared.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  command.addHelpText('after', spec.helpAfter).action(runnable(spec));
}

/**
 * The action's arguments for an invocation that is certainly well-formed, or undefined for anything else (help, an
 * unknown flag, a missing required option, a value outside its choices, a missing argument): those go to commander,
 * so every message the user sees comes from one place.
 */
export function parseWellFormed(spec: CommandSpec, args: string[]): [string, Record<string, unknown>] | [Record<string, unknown>] | undefined {
  const declared = spec.options.map((option) => {
    const match = /^--(no-)?([a-z][a-z-]*)(?: <[^>]+>)?$/.exec(option.flags);
    if (!match) throw new Error(`option flags "${option.flags}" are not of the form --name [<value>] or --no-name`);
    const long = `${match[1] ?? ''}${match[2]}`;
    return { ...option, long, key: camelCase(match[2]!), negated: match[1] !== undefined, takesValue: option.flags.includes('<') };
  });
  const config: ParseArgsConfig['options'] = Object.fromEntries(declared.map(({ long, takesValue }) => [long, { type: takesValue ? 'string' : 'boolean' }]));
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const options: Record<string, unknown> = {};
  for (const { long, key, negated, required, choices } of declared) {
    const value = values[long];
    if (negated) {
      options[key] = value !== true;
      continue;
    }
    if (value === undefined) {
      if (required) return undefined;
      continue;
    }
    if (typeof value === 'string' && (value.startsWith('-') || (choices && !choices.includes(value)))) return undefined;
    options[key] = value;
  }
  if (parsed.positionals.length !== (spec.argument ? 1 : 0)) return undefined;
  return spec.argument ? [parsed.positionals[0]!, options] : [options];
}

/** The action, callable with what either parser produced. */
export function runnable(spec: CommandSpec): (...args: unknown[]) => Promise<void> {
  return spec.action as (...args: unknown[]) => Promise<void>;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
