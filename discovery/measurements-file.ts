import { parse } from 'yaml';
import { DiscoveryError } from './errors.js';
import { CSPS, type Csp } from './version.js';

/** One PCR's expected value: lower-case hex SHA-256, and whether a mismatch only warns. */
export interface Measurement {
  expected: string;
  warnOnly: boolean;
}

/** measurements.yaml (DESIGN.md): the expected PCR values of one csp's image of one uid. */
export interface MeasurementsFile {
  csp: Csp;
  image: string;
  measurements: Record<number, Measurement>;
}

export class MeasurementsFormatError extends DiscoveryError {}

/** Writes the file in the one canonical form, PCRs in ascending order, so equal content gives equal bytes. */
export function formatMeasurements(file: MeasurementsFile): string {
  const lines = [`csp: ${file.csp}`, `image: ${file.image}`, 'measurements:'];
  for (const pcr of Object.keys(file.measurements).map(Number).sort((a, b) => a - b)) {
    const { expected, warnOnly } = file.measurements[pcr]!;
    lines.push(`  ${pcr}: { expected: "${expected}", warnOnly: ${warnOnly} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses and checks a measurements file; anything unexpected is an error, never a guess. */
export function parseMeasurements(text: string): MeasurementsFile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new MeasurementsFormatError(`measurements file is not YAML: ${(error as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new MeasurementsFormatError(`measurements file: ${what}`);
  };
  if (!isObject(doc)) return fail('expected a mapping with csp, image and measurements');
  const unexpected = Object.keys(doc).filter((key) => !['csp', 'image', 'measurements'].includes(key));
  if (unexpected.length > 0) fail(`unexpected keys ${unexpected.join(', ')}`);
  const { csp, image, measurements } = doc;
  if (typeof csp !== 'string' || !(CSPS as readonly string[]).includes(csp)) fail(`csp must be one of ${CSPS.join(', ')}`);
  if (typeof image !== 'string' || !/^v[0-9a-z.-]+$/.test(image)) fail('image must be an image version uid');
  if (!isObject(measurements) || Object.keys(measurements).length === 0) fail('measurements must map PCR indices to values');
  const result: Record<number, Measurement> = {};
  for (const [index, value] of Object.entries(measurements as Record<string, unknown>)) {
    const pcr = Number(index);
    if (!/^\d+$/.test(index) || pcr > 23) fail(`"${index}" is not a PCR index (0-23)`);
    if (!isObject(value)) fail(`PCR ${index}: expected { expected, warnOnly }`);
    const { expected, warnOnly, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0) fail(`PCR ${index}: unexpected keys ${Object.keys(rest).join(', ')}`);
    if (typeof expected !== 'string' || !/^[0-9a-f]{64}$/.test(expected)) fail(`PCR ${index}: expected must be 64 lower-case hex digits`);
    if (typeof warnOnly !== 'boolean') fail(`PCR ${index}: warnOnly must be true or false`);
    result[pcr] = { expected: expected as string, warnOnly: warnOnly as boolean };
  }
  return { csp: csp as Csp, image: image as string, measurements: result };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
