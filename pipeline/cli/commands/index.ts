import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerPublish } from './publish.js';
import { registerRun } from './run.js';
import { registerUpload } from './upload.js';
import { registerUid } from './uid.js';

/**
 * Every command, in the order `--help` lists them. A command module only declares its flags; it imports what does
 * the work inside its action, so that `osimage lookup` never pays for the pipeline or a cloud SDK.
 */
export const commands: Array<(program: Command) => void> = [registerUid, registerRun, registerUpload, registerPublish, registerConfig];
