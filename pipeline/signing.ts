import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { resolveSecret, SecretError, type SecretRef } from '../config/secret.js';
import { decryptCosignKey, isCosignEncryptedKey } from './cosign-key.js';
import { InputError } from './errors.js';
import type { Logger } from './logger.js';
import { createAtomic, writeAtomic } from './store/local-files.js';

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

export interface LoadSignerOptions {
  /** Reads the password of a cosign-encrypted key; asked only when the key is one. */
  password?: () => Promise<string>;
}

/**
 * Loads a private key from `env:NAME` or a file: PEM PKCS#8 or SEC1, or cosign's encrypted format with its password.
 * Errors never include the key.
 */
export async function loadSigner(ref: SecretRef, options: LoadSignerOptions = {}): Promise<Signer> {
  const pem = await resolveSecret(ref);
  if (isCosignEncryptedKey(pem)) {
    if (!options.password) {
      throw new InputError(`the signing key from ${ref} is a cosign-encrypted key, and no password is given`, 'set COSIGN_PASSWORD (or signing.password in the config)');
    }
    return signerFromKey(await decryptCosignKey(pem, await options.password(), ref));
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new InputError(`the signing key from ${ref} is not a PEM private key (PKCS#8 or SEC1, or a cosign-encrypted key)`);
  }
  return signerFromKey(key);
}

/**
 * A password from `env:NAME` or a file. Unlike other secrets it may be empty (cosign allows keys with an empty
 * password), but the variable must be set.
 */
export async function readPassword(ref: SecretRef): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = process.env[ref.slice('env:'.length)];
    if (value === undefined) throw new SecretError(`the environment variable ${ref.slice('env:'.length)} (from "${ref}") is not set`);
    return value;
  }
  return (await resolveSecret(ref)).replace(/\r?\n$/, '');
}

/**
 * The signer of a run, for measurements and the lookup table: the configured key, or the development key of
 * `signing: { development: true }`, generated on first use under `<stateDir>/signing/`.
 */
export async function resolveSigner(config: Config, log: Logger): Promise<Signer> {
  const signing = config.signing;
  if ('key' in signing) {
    const passwordRef = signing.password;
    return loadSigner(signing.key, { password: passwordRef ? () => readPassword(passwordRef) : undefined });
  }
  const { signer, publicKeyPath, created } = await developmentSigner(join(config.stateDir, 'signing'));
  log.warn(
    { publicKey: publicKeyPath },
    created ? 'generated a development signing key; consumers verify with its public key' : 'signing with the development key; consumers verify with its public key',
  );
  return signer;
}

/**
 * The development key pair in `dir` (PKCS#8 private key, mode 0600, and its SPKI public key), created when absent.
 * The private key is created atomically and create-only (a flushed temporary file, then link), so a kill leaves no
 * torn key and two runs starting together agree on one key.
 */
export async function developmentSigner(dir: string): Promise<{ signer: Signer; publicKeyPath: string; created: boolean }> {
  const privatePath = join(dir, 'development-key.pem');
  const publicKeyPath = resolve(dir, 'development-key.pub.pem');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await readFile(privatePath, 'utf8').catch(() => undefined);
  let created = false;
  if (existing === undefined) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    created = await createAtomic(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  }
  const signer = signerFromKey(createPrivateKey(existing ?? (await readFile(privatePath, 'utf8'))));
  await writeAtomic(publicKeyPath, signer.publicKeyPem);
  return { signer, publicKeyPath, created };
}
