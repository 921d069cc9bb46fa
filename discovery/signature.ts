import { createPublicKey, verify } from 'node:crypto';

/**
 * Checks a `.sig` as `cosign sign-blob` writes it: base64 of a DER ECDSA P-256 signature over SHA-256 of the exact
 * bytes. Returns false for a signature that does not match, throws for a key or signature that is not one.
 */
export function verifySignature(data: Uint8Array, signatureBase64: string, publicKeyPem: string): boolean {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the public key is not an ECDSA P-256 key');
  }
  const text = signatureBase64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error('the signature is not base64');
  return verify('sha256', data, { key, dsaEncoding: 'der' }, Buffer.from(text, 'base64'));
}
