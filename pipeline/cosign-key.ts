import { createPrivateKey, scrypt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import nacl from 'tweetnacl';
import { InputError } from './errors.js';

const COSIGN_PEM = /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----([\s\S]*?)-----END ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/;
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number, options: object) => Promise<Buffer>;

export function isCosignEncryptedKey(pem: string): boolean {
  return COSIGN_PEM.test(pem);
}

/**
 * Opens a key as `cosign generate-key-pair` writes it: PEM around JSON naming scrypt parameters and a salt, a NaCl
 * secretbox nonce, and the ciphertext of the PKCS#8 DER private key. A wrong password fails the box's MAC.
 */
export async function decryptCosignKey(pem: string, password: string, source: string): Promise<KeyObject> {
  const bad = (why: string) => new InputError(`the cosign key from ${source} is not readable: ${why}`);
  const body = COSIGN_PEM.exec(pem)?.[1];
  if (!body) throw bad('no ENCRYPTED SIGSTORE PRIVATE KEY block');
  let envelope: {
    kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string };
    cipher?: { name?: string; nonce?: string };
    ciphertext?: string;
  };
  try {
    envelope = JSON.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
  } catch {
    throw bad('its body is not base64 JSON');
  }
  const { kdf, cipher, ciphertext } = envelope;
  const { N, r, p } = kdf?.params ?? {};
  if (kdf?.name !== 'scrypt' || !N || !r || !p || !kdf.salt) throw bad('expected scrypt key derivation parameters');
  if (cipher?.name !== 'nacl/secretbox' || !cipher.nonce || !ciphertext) throw bad('expected a nacl/secretbox cipher');
  const key = await scryptAsync(password, Buffer.from(kdf.salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  const opened = nacl.secretbox.open(Buffer.from(ciphertext, 'base64'), Buffer.from(cipher.nonce, 'base64'), key);
  if (!opened) {
    throw new InputError(`the password for the cosign key from ${source} is wrong`, 'give the password the key was generated with (COSIGN_PASSWORD)');
  }
  try {
    return createPrivateKey({ key: Buffer.from(opened), format: 'der', type: 'pkcs8' });
  } catch {
    throw bad('the decrypted key is not PKCS#8');
  }
}
