import type { Check, Plan } from '../uploader.js';
import type { AwsStep } from './aws-step.js';
import { importObjectKey } from './names.js';

export const PLANNED = '<planned>';

/**
 * The dry run after a passed preflight: the writes a real run would make, minus what the journal says is done.
 */
export async function planUpload(step: AwsStep): Promise<Plan<Record<string, string>>> {
  const { ctx, config } = step;
  const importRegion = config.import.region;
  const names = config.regions.map((region) => region.name);
  const done = (region: string) => ctx.journal.get<{ imageId: string }>(`ami/${region}`)?.imageId;
  const checks: Check[] = names.flatMap((name) => (done(name) ? [{ what: `the AMI in ${name} (${done(name)}) from an earlier run is reused`, ok: true }] : []));
  const writes: string[] = [];
  if (!done(importRegion) && !ctx.journal.get('snapshot')) {
    const key = importObjectKey(config, ctx.uid, ctx.csp);
    writes.push(`upload s3://${config.import.bucket}/${key} (${ctx.image.size} bytes)`);
    writes.push(`ImportSnapshot in ${importRegion} (role ${config.import.roleName})`);
    if (config.import.deleteUploadedObject) writes.push(`delete s3://${config.import.bucket}/${key} after the import`);
  }
  if (!done(importRegion)) writes.push(`RegisterImage ${step.name} in ${importRegion}`);
  for (const region of names.filter((name) => name !== importRegion && !done(name))) {
    writes.push(`CopyImage ${step.name} from ${importRegion} to ${region}`);
  }
  if (config.public) writes.push(`ModifyImageAttribute launchPermission add group all in ${names.join(', ')}`);

  const reference = Object.fromEntries(names.map((name) => [name, done(name) ?? PLANNED]));
  return { checks, writes, reference };
}
