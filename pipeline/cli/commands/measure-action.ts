import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../../config/load.js';
import { formatMeasurements } from '../../../discovery/measurements-file.js';
import { measureImage } from '../../../steps/measure/measure-image.js';
import { InputError } from '../../errors.js';
import { imageDigest } from '../../image-digest.js';
import { resolveInputs } from '../../inputs.js';
import { createLogger } from '../../logger.js';
import { writeResult } from '../../results.js';
import { resolveSigner } from '../../signing.js';
import type { MeasureFlags } from './measure.js';

export async function measureCommand(flags: MeasureFlags): Promise<void> {
  const { config } = await loadConfig(flags.config);
  if ((flags.version === undefined) !== (flags.commit === undefined)) throw new InputError('--version and --commit go together');
  const inputs = flags.version && flags.commit ? await resolveInputs({ version: flags.version, commit: flags.commit, repo: flags.repo }) : undefined;
  if (flags.out && !inputs) throw new InputError('--out needs --version and --commit, so that publish can check the result belongs to its run');
  const uid = inputs?.uid ?? flags.uid!;
  const { file, eventLog } = await measureImage(flags.image, flags.csp, uid, config.measure);
  const yaml = formatMeasurements(file);
  if (flags.eventLog) await writeFile(flags.eventLog, `${JSON.stringify(eventLog, null, 2)}\n`);
  if (flags.out && inputs) {
    const signer = await resolveSigner(config, createLogger());
    const digest = await imageDigest(flags.image);
    await writeResult(flags.out, { uid, commit: inputs.commit, csp: flags.csp, digest, measurements: { yaml, signature: signer.sign(Buffer.from(yaml)) } });
  }
  process.stdout.write(yaml);
}
