import { DiscoveryError, DiscoveryInputError } from './errors.js';
import { parseMeasurements, type MeasurementsFile } from './measurements-file.js';
import { openSource } from './source.js';
import { checkSignature, MAX_SIGNATURE_BYTES } from './trust.js';
import { parseUid, type Csp } from './version.js';

/** A few PCRs of 64 hex digits each: anything near this is not a measurements file. */
export const MAX_MEASUREMENTS_BYTES = 64 * 1024;

export interface MeasurementsRequest {
  uid: string;
  csp: Csp;
  baseUrl: string;
  /** The publisher's public key (PEM). Required unless `insecure`. */
  publicKeyPem?: string;
  /** Skip the signature check. The caller must say so loudly. */
  insecure?: boolean;
  timeoutMs?: number;
}

export interface VerifiedMeasurements {
  /** The file's exact bytes as published. */
  text: string;
  file: MeasurementsFile;
  url: string;
  verified: boolean;
}

/**
 * Fetches `measurements/<csp>/<uid>/measurements.yaml` and its `.sig`, and trusts the file only when the signature
 * verifies (fail closed) and the file says it is for the csp and uid asked for: a validly signed file of another
 * image must not pass for this one.
 */
export async function fetchMeasurements(request: MeasurementsRequest): Promise<VerifiedMeasurements> {
  const { uid } = parseUid(request.uid);
  const { csp, publicKeyPem, insecure = false, timeoutMs } = request;
  if (publicKeyPem === undefined && !insecure) {
    throw new DiscoveryInputError('measurements are only trusted with a public key', 'give --key <pub.pem>, or --insecure to read them unverified');
  }
  const source = openSource(request.baseUrl);
  const path = `measurements/${csp}/${uid}/measurements.yaml`;
  const url = source.locate(path);
  const bytes = await source.read(path, { maxBytes: MAX_MEASUREMENTS_BYTES, timeoutMs });
  if (!bytes) {
    throw new DiscoveryInputError(`no measurements for ${csp} of ${uid} (${url} does not exist)`, `check the uid and that ${uid} was published for ${csp}: osimage versions`);
  }
  if (!insecure) {
    const signature = await source.read(`${path}.sig`, { maxBytes: MAX_SIGNATURE_BYTES, timeoutMs });
    checkSignature(bytes, signature?.toString('utf8'), publicKeyPem!, url);
  }
  const text = bytes.toString('utf8');
  const file = parseMeasurements(text);
  if (file.csp !== csp || file.image !== uid) {
    throw new DiscoveryError(`${url} is for ${file.csp} ${file.image}, not for ${csp} ${uid}: it was put in the wrong place or swapped`);
  }
  return { text, file, url, verified: !insecure };
}
