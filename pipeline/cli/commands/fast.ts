import type { CommandSpec } from '../command-spec.js';

/**
 * The commands main.ts may run without loading commander (pipeline/cli/command-spec.ts): the consumer commands, whose
 * start-up time matters because scripts and other CLIs call them often.
 */
export const fastCommands: Record<string, () => Promise<CommandSpec>> = {
  lookup: async () => (await import('./lookup.js')).lookupCommand,
  measurements: async () => (await import('./measurements.js')).measurementsCommand,
  versions: async () => (await import('./versions.js')).versionsCommand,
};
