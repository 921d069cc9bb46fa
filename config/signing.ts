import { z } from 'zod';
import { secretRef } from './secret.js';

const keySigning = z.strictObject({
  key: secretRef.describe('ECDSA P-256 private key: env:NAME or a PEM file (PKCS#8, SEC1, or a cosign-encrypted key)'),
  password: secretRef.optional().describe("the password of a cosign-encrypted key: env:NAME (cosign's COSIGN_PASSWORD) or a file"),
});

const developmentSigning = z.strictObject({
  development: z.literal(true).describe('sign with a development key generated on first use in <stateDir>/signing/'),
});

const FIX =
  'signing must say how to sign, so that nothing is published unsigned: give signing: { key: env:OSIMAGE_SIGNING_KEY } ' +
  '(an ECDSA P-256 PEM key, optionally password: env:COSIGN_PASSWORD) or, for local runs, signing: { development: true }';

/** How measurements and lookup tables are signed. There is no "unsigned": a config without it is an error. */
export const signingConfig = z.union([keySigning, developmentSigning], {
  error: (issue) => (issue.input === undefined || issue.code === 'invalid_union' ? FIX : undefined),
});

export type SigningConfig = z.infer<typeof signingConfig>;
