import type { Stage } from '../pipeline/stage.js';
import { assembleStage } from './assemble.js';
import { buildStage } from './build.js';
import { measureStage } from './measure.js';
import { publishStage } from './publish.js';
import { resolveStage } from './resolve.js';
import { uploadStage } from './upload.js';

/** The pipeline, in order (DESIGN.md "The pipeline"). */
export const STAGES: readonly Stage[] = [resolveStage, buildStage, uploadStage, measureStage, assembleStage, publishStage];
