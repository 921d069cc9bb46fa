import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { measureConfig, type MeasureConfig } from '../../../config/measure.js';
import { formatMeasurements } from '../../../discovery/measurements-file.js';
import type { Csp } from '../../../discovery/version.js';
import { measureImage } from '../../../steps/measure/measure-image.js';
import { InputError } from '../../errors.js';

export async function measureCommand(options: { image: string; csp: Csp; config?: string; uid: string; eventLog?: string }): Promise<void> {
  const config = options.config ? await readMeasureSection(options.config) : measureConfig.parse({});
  const { file, eventLog } = await measureImage(options.image, options.csp, options.uid, config);
  if (options.eventLog) await writeFile(options.eventLog, `${JSON.stringify(eventLog, null, 2)}\n`);
  process.stdout.write(formatMeasurements(file));
}

/** The measure command needs only the config's `measure:` section; the rest of the file is not checked here. */
async function readMeasureSection(path: string): Promise<MeasureConfig> {
  let doc: unknown;
  try {
    doc = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const section = (doc as { measure?: unknown } | null)?.measure ?? {};
  const result = measureConfig.safeParse(section);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `  - measure.${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new InputError(`${path} is not a valid osimage config:\n${issues}`);
  }
  return result.data;
}
