import type { Stage } from '../pipeline/stage.js';
import { assembleStage } from './assemble.js';
import { buildStage } from './build.js';
import { measureStage } from './measure.js';
import { preflightStage } from './preflight.js';
import { publishStage } from './publish.js';
import { resolveStage } from './resolve.js';
import { uploadStage } from './upload.js';

/** The pipeline, in order (DESIGN.md "The pipeline"); the preflight comes first: it reads, and fails before any work. */
export const STAGES: readonly Stage[] = [preflightStage, resolveStage, buildStage, uploadStage, measureStage, assembleStage, publishStage];
