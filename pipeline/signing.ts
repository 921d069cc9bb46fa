import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { resolveSecret, type SecretRef } from '../config/secret.js';
import { InputError } from './errors.js';

/** Signs as `cosign sign-blob` does: base64 of a DER ECDSA P-256 signature over SHA-256 of the exact bytes. */
export interface Signer {
  sign(data: Uint8Array): string;
  readonly publicKeyPem: string;
}

export function signerFromKey(privateKey: KeyObject): Signer {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InputError('the signing key is not an ECDSA P-256 key', 'generate one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt');
  }
  return {
    sign: (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Loads a PEM private key (PKCS#8 or SEC1) from `env:NAME` or a file. Errors never include the key. */
export async function loadSigner(ref: SecretRef): Promise<Signer> {
  const pem = await resolveSecret(ref);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new InputError(`the signing key from ${ref} is not a PEM private key (PKCS#8 or SEC1)`);
  }
  return signerFromKey(key);
}
