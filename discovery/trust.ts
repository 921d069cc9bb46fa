import { DiscoveryError, DiscoveryInputError } from './errors.js';
import { verifySignature } from './signature.js';

/** A `.sig` is base64 of a DER signature: well under this. */
export const MAX_SIGNATURE_BYTES = 4 * 1024;

/**
 * Fails closed: the bytes are trusted only when a signature is there and the key verifies it. `what` names the file
 * for the message (a URL or a path).
 */
export function checkSignature(bytes: Uint8Array, signature: string | undefined, publicKeyPem: string, what: string): void {
  if (signature === undefined) {
    throw new DiscoveryError(`${what} has no signature (${what}.sig is missing), so it cannot be trusted`, 'ask the publisher to sign it, or leave out --key to read it unverified');
  }
  let valid: boolean;
  try {
    valid = verifySignature(bytes, signature, publicKeyPem);
  } catch (error) {
    const message = (error as Error).message;
    // A key we cannot use is the caller's input; a signature that is not one is the publisher's fault.
    if (/signature is not base64/.test(message)) throw new DiscoveryError(`${what}.sig is not a signature: ${message}`);
    throw new DiscoveryInputError(`the public key cannot check signatures: ${message}`, 'give the PEM public key (ECDSA P-256) the publisher signs with');
  }
  if (!valid) throw new DiscoveryError(`the signature of ${what} does not match: the file was changed or signed with another key`);
}
