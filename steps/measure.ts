import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatMeasurements } from '../discovery/measurements-file.js';
import { mapBounded } from '../pipeline/bounded.js';
import type { Stage } from '../pipeline/stage.js';
import { measureImage } from './measure/measure-image.js';

/**
 * Per csp: precalculates the image's PCRs, signs the measurements file (when the run signs) and keeps the event log
 * that explains it in the local state directory. Local work only, so it runs in dry runs too, and before the upload:
 * measuring is the full check that the image boots the way the measurements say.
 */
export const measureStage: Stage = {
  name: 'measure',
  skip: (ctx) => (ctx.csps.some((csp) => ctx.images[csp]) ? false : 'no raw images to measure'),
  async run(ctx) {
    const signer = ctx.signs ? await ctx.signer() : undefined;
    const csps = ctx.csps.filter((csp) => ctx.images[csp]);
    await mapBounded(csps, ctx.config.concurrency.clouds, async (csp) => {
      const image = ctx.images[csp]!;
      const log = ctx.log.child({ csp });
      const { file, eventLog } = await measureImage(image.path, csp, ctx.uid, ctx.config.measure);
      const yaml = formatMeasurements(file);
      const dir = join(ctx.config.stateDir, ctx.uid, csp);
      const eventLogPath = join(dir, 'event-log.json');
      await mkdir(dir, { recursive: true });
      await writeFile(eventLogPath, `${JSON.stringify(eventLog, null, 2)}\n`);
      ctx.measurements[csp] = { yaml, signature: signer?.sign(Buffer.from(yaml)), digest: image.digest };
      log.info({ pcrs: eventLog.pcrs, stubVersion: eventLog.stubVersion, eventLog: eventLogPath }, signer ? 'measured and signed' : 'measured');
    });
  },
};
