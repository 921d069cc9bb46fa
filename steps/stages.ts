import type { Stage } from '../pipeline/stage.js';
import { assembleStage } from './assemble.js';
import { buildStage } from './build.js';
import { measureStage } from './measure.js';
import { publishStage } from './publish.js';
import { resolveStage } from './resolve.js';
import { uploadStage } from './upload.js';

/**
 * The pipeline, in order (DESIGN.md "The pipeline"), except that measuring comes before uploading: it is local work
 * of milliseconds that proves the image's GPT, ESP and boot chain parse, so an image that cannot be measured stops
 * the run before the first cloud write.
 */
export const STAGES: readonly Stage[] = [resolveStage, buildStage, measureStage, uploadStage, assembleStage, publishStage];
