import { mapBounded } from '../../../pipeline/bounded.js';
import { AbortedError, OsimageError } from '../../../pipeline/errors.js';
import type { Uploader } from '../uploader.js';
import { openAwsStep, type AwsStep } from './aws-step.js';
import { copyImage } from './copy-image.js';
import { amiInRegion } from './images.js';
import { importSnapshot } from './import-snapshot.js';
import { makePublic } from './launch-permission.js';
import { planUpload } from './plan.js';
import { registerImage } from './register-image.js';
import { removeUpload } from './remove.js';

/**
 * AWS: upload the raw image to the import bucket, import it as a snapshot, register the AMI in the import region,
 * copy it to every other region. The lookup-table entry maps each region to its AMI id.
 */
export const awsUploader: Uploader<Record<string, string>> = {
  csp: 'aws',

  async plan(ctx) {
    return withStep(ctx, planUpload);
  },

  async upload(ctx) {
    return withStep(ctx, publish);
  },

  async remove(ctx) {
    return withStep(ctx, removeUpload);
  },
};

async function publish(step: AwsStep): Promise<Record<string, string>> {
  const { config, ctx } = step;
  const importRegion = config.import.region;
  const amis = new Map<string, string>();

  const snapshotId = await importSnapshot(step);
  const sourceImageId = await amiInRegion(step, importRegion, () => registerImage(step, snapshotId));
  if (config.public) await makePublic(step, importRegion, sourceImageId);
  amis.set(importRegion, sourceImageId);

  const skipped: string[] = [];
  const copies = config.regions.filter((region) => region.name !== importRegion);
  await mapBounded(copies, config.concurrency, async (region) => {
    try {
      const imageId = await amiInRegion(step, region.name, () => copyImage(step, region.name, sourceImageId));
      if (config.public) await makePublic(step, region.name, imageId);
      amis.set(region.name, imageId);
    } catch (error) {
      if (!region.bestEffort || error instanceof AbortedError) throw error;
      skipped.push(region.name);
      ctx.warnings.push(`aws: best-effort region ${region.name} left out: ${(error as Error).message}`);
      ctx.log.warn({ region: region.name, err: error }, 'best-effort region failed; it is left out of the lookup table');
    }
  });
  if (skipped.length > 0) ctx.log.warn({ skipped }, `AWS regions left out: ${skipped.join(', ')}; a rerun retries them`);

  // In the config's order, so the lookup table reads the way the config does.
  return Object.fromEntries(config.regions.flatMap((region) => (amis.has(region.name) ? [[region.name, amis.get(region.name)!]] : [])));
}

async function withStep<T>(ctx: Parameters<typeof openAwsStep>[0], work: (step: AwsStep) => Promise<T>): Promise<T> {
  const step = openAwsStep(ctx);
  try {
    return await work(step);
  } catch (error) {
    if (ctx.signal.aborted && !(error instanceof OsimageError)) throw new AbortedError();
    throw error;
  } finally {
    step.clients.destroy();
  }
}
