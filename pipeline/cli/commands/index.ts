import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerLookup } from './lookup.js';
import { registerMeasurements } from './measurements.js';
import { registerRun } from './run.js';
import { registerUid } from './uid.js';
import { registerVersions } from './versions.js';

/**
 * Every command, in the order `--help` lists them. A command module only declares its flags; it imports what does
 * the work inside its action, so that `osimage lookup` never pays for the pipeline or a cloud SDK.
 */
export const commands: Array<(program: Command) => void> = [registerUid, registerRun, registerConfig, registerLookup, registerMeasurements, registerVersions];
