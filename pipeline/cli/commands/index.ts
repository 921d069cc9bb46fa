import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerDelete } from './delete.js';
import { registerGc } from './gc.js';
import { registerLookup } from './lookup.js';
import { registerMeasure } from './measure.js';
import { registerMeasurements } from './measurements.js';
import { registerPublish } from './publish.js';
import { registerReplicate } from './replicate.js';
import { registerRun } from './run.js';
import { registerSign } from './sign.js';
import { registerUpload } from './upload.js';
import { registerUid } from './uid.js';
import { registerVerify } from './verify.js';
import { registerVersions } from './versions.js';

/**
 * Every command, in the order `--help` lists them. A command module only declares its flags; it imports what does
 * the work inside its action, so that `osimage lookup` never pays for the pipeline or a cloud SDK.
 */
export const commands: Array<(program: Command) => void> = [
  registerUid,
  registerRun,
  registerUpload,
  registerMeasure,
  registerPublish,
  registerSign,
  registerVerify,
  registerConfig,
  registerLookup,
  registerMeasurements,
  registerVersions,
  registerReplicate,
  registerDelete,
  registerGc,
];
