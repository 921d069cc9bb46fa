import type { Command } from 'commander';
import type { Csp } from '../../../discovery/version.js';
import { registerSpec, type CommandSpec } from '../command-spec.js';
import { BASE_URL_OPTION, CONFIG_OPTION, CSP_OPTION, MEASUREMENTS_SOURCE_HELP } from './source-options.js';

interface MeasurementsOptions {
  csp: Csp;
  key?: string;
  insecure?: boolean;
  baseUrl?: string;
  config?: string;
}

export const measurementsCommand: CommandSpec = {
  name: 'measurements',
  description: 'print the verified measurements (expected PCR values) of a uid\'s image for one cloud',
  argument: { name: 'uid', description: 'image version uid: v2.2.0, or v2.3.0-pre-debug-<commit>' },
  options: [
    CSP_OPTION,
    { flags: '--key <pub.pem>', description: 'the publisher\'s ECDSA P-256 public key; measurements.yaml.sig must verify with it' },
    { flags: '--insecure', description: 'print the file WITHOUT checking its signature (never for attestation that matters)' },
    BASE_URL_OPTION,
    CONFIG_OPTION,
  ],
  helpAfter:
    '\nReads <base>/measurements/<csp>/<uid>/measurements.yaml and its .sig, verifies the signature (it fails closed:\n' +
    'a missing or wrong signature is an error), checks that the file names the csp and uid asked for, and prints it.\n' +
    MEASUREMENTS_SOURCE_HELP +
    '\nExamples:\n' +
    '  $ osimage measurements v2.2.0 --csp aws --key cosign.pub --base-url https://cdn.example.com > measurements.yaml\n' +
    '  $ openssl ec -in cosign.key -pubout > cosign.pub   # the public half of the signing key\n',
  async action(uid: string, options: MeasurementsOptions) {
    const [{ InputError }, { resolveBaseUrl }, { readPublicKey }, { fetchMeasurements }] = await Promise.all([
      import('../../errors.js'),
      import('../base-url.js'),
      import('../read-public-key.js'),
      import('../../../discovery/measurements.js'),
    ]);
    if (options.key !== undefined && options.insecure) throw new InputError('give --key or --insecure, not both');
    const result = await fetchMeasurements({
      uid,
      csp: options.csp,
      baseUrl: await resolveBaseUrl(options, 'measurements'),
      publicKeyPem: options.key === undefined ? undefined : await readPublicKey(options.key),
      insecure: options.insecure,
    });
    if (!result.verified) {
      process.stderr.write(`osimage: WARNING: --insecure: ${result.url} was NOT verified; anyone who can change it controls what you trust\n`);
    }
    process.stdout.write(result.text);
  },
};

export const registerMeasurements = (program: Command): void => registerSpec(program, measurementsCommand);
