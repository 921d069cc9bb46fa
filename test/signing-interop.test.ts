import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import nacl from 'tweetnacl';
import { configSchema } from '../config/schema.js';
import { verifySignature } from '../discovery/signature.js';
import { loadSigner, resolveSigner } from '../pipeline/signing.js';
import { tempDir } from './measure-fixtures.js';

const run = promisify(execFile);
const osimage = fileURLToPath(new URL('../../bin/osimage.js', import.meta.url));

async function osimageExit(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [osimage, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

async function opensslKeys(dir: string) {
  const sec1 = join(dir, 'sec1.pem');
  const pkcs8 = join(dir, 'pkcs8.pem');
  const pub = join(dir, 'pub.pem');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', sec1]);
  await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', sec1, '-out', pkcs8]);
  await run('openssl', ['ec', '-in', sec1, '-pubout', '-out', pub]);
  return { sec1, pkcs8, pub };
}

test('osimage sign writes what openssl verifies, for SEC1 and PKCS#8 keys', async (t) => {
  const dir = await tempDir(t);
  const keys = await opensslKeys(dir);
  const file = join(dir, 'measurements.yaml');
  await writeFile(file, 'csp: aws\nimage: v1.0.0\nmeasurements:\n  4: { expected: "00", warnOnly: false }\n');
  for (const key of [keys.sec1, keys.pkcs8]) {
    const signed = await osimageExit(['sign', file, '--key', key]);
    assert.equal(signed.code, 0, signed.stderr);
    const der = join(dir, 'sig.der');
    await writeFile(der, Buffer.from(await readFile(`${file}.sig`, 'utf8'), 'base64'));
    const { stdout } = await run('openssl', ['dgst', '-sha256', '-verify', keys.pub, '-signature', der, file]);
    assert.match(stdout, /Verified OK/);
  }
});

test('osimage verify accepts what openssl signs, and exits 1 on a changed file or another key', async (t) => {
  const dir = await tempDir(t);
  const keys = await opensslKeys(dir);
  const file = join(dir, 'table.json');
  await writeFile(file, '{"qemu":"https://cdn.example.com/raw/v1.0.0/qemu.raw"}\n');
  const der = join(dir, 'table.der');
  await run('openssl', ['dgst', '-sha256', '-sign', keys.pkcs8, '-out', der, file]);
  const signature = join(dir, 'table.json.sig');
  await writeFile(signature, (await readFile(der)).toString('base64'));

  const good = await osimageExit(['verify', file, '--key', keys.pub]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /verified/);

  await writeFile(file, '{"qemu":"https://evil.example.com/raw/v1.0.0/qemu.raw"}\n');
  const changed = await osimageExit(['verify', file, '--key', keys.pub, '--signature', signature]);
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /does not match/);

  const otherKey = join(dir, 'other-pub.pem');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'other.pem')]);
  await run('openssl', ['ec', '-in', join(dir, 'other.pem'), '-pubout', '-out', otherKey]);
  await writeFile(file, '{"qemu":"https://cdn.example.com/raw/v1.0.0/qemu.raw"}\n');
  const wrongKey = await osimageExit(['verify', file, '--key', otherKey]);
  assert.equal(wrongKey.code, 1);
});

/** A key in cosign's encrypted format (scrypt, then a NaCl secretbox around the PKCS#8 DER), made here from openssl's key. */
async function cosignEncrypt(pkcs8Pem: string, password: string): Promise<string> {
  const der = Buffer.from(pkcs8Pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const params = { N: 32768, r: 8, p: 1 };
  const key = scryptSync(password, salt, 32, { ...params, maxmem: 64 * 1024 * 1024 });
  const envelope = {
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(nacl.secretbox(der, nonce, key)).toString('base64'),
  };
  const body = Buffer.from(JSON.stringify(envelope)).toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

test('a cosign-encrypted key signs with its password, and a wrong or missing password is a clear error', async (t) => {
  const dir = await tempDir(t);
  const keys = await opensslKeys(dir);
  const cosignKey = join(dir, 'cosign.key');
  await writeFile(cosignKey, await cosignEncrypt(await readFile(keys.pkcs8, 'utf8'), 'correct horse'));
  const file = join(dir, 'data.txt');
  await writeFile(file, 'signed by a cosign key\n');

  const signed = await osimageExit(['sign', file, '--key', cosignKey], { COSIGN_PASSWORD: 'correct horse' });
  assert.equal(signed.code, 0, signed.stderr);
  assert.ok(verifySignature(await readFile(file), await readFile(`${file}.sig`, 'utf8'), await readFile(keys.pub, 'utf8')));

  const wrong = await osimageExit(['sign', file, '--key', cosignKey], { COSIGN_PASSWORD: 'battery staple' });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /password for the cosign key .* is wrong/);
  await assert.rejects(loadSigner(cosignKey), /cosign-encrypted key, and no password is given/);
});

test('keys come from env:NAME too, and a bad key never shows up in the error', async (t) => {
  const dir = await tempDir(t);
  const keys = await opensslKeys(dir);
  process.env.OSIMAGE_TEST_SIGNING_KEY = await readFile(keys.sec1, 'utf8');
  t.after(() => delete process.env.OSIMAGE_TEST_SIGNING_KEY);
  const signer = await loadSigner('env:OSIMAGE_TEST_SIGNING_KEY');
  assert.ok(verifySignature(Buffer.from('x'), signer.sign(Buffer.from('x')), await readFile(keys.pub, 'utf8')));

  process.env.OSIMAGE_TEST_SIGNING_KEY = 'super-secret-not-a-key';
  await assert.rejects(loadSigner('env:OSIMAGE_TEST_SIGNING_KEY'), (error: Error) => {
    assert.match(error.message, /not a PEM private key/);
    assert.doesNotMatch(error.message, /super-secret/);
    return true;
  });
});

const baseConfig = { store: { url: 'file://bucket' }, publicBaseUrl: 'file://bucket' };

test('a config without signing is an error that says how to fix it', () => {
  const result = configSchema.safeParse(baseConfig);
  assert.equal(result.success, false);
  const issue = result.error!.issues.find((i) => i.path[0] === 'signing');
  assert.match(issue!.message, /nothing is published unsigned.*signing: \{ key: env:OSIMAGE_SIGNING_KEY \}.*signing: \{ development: true \}/);
});

test('the development key is generated once in the state directory, and its public key path is logged', async (t) => {
  const dir = await tempDir(t);
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  const config = configSchema.parse({ ...baseConfig, stateDir: join(dir, 'state'), signing: { development: true } });

  const first = await resolveSigner(config, log);
  const second = await resolveSigner(config, log);
  assert.equal(first.publicKeyPem, second.publicKeyPem, 'the second run reuses the key');
  const publicPath = join(dir, 'state/signing/development-key.pub.pem');
  assert.equal(await readFile(publicPath, 'utf8'), first.publicKeyPem);
  assert.equal((await stat(join(dir, 'state/signing/development-key.pem'))).mode & 0o777, 0o600);
  assert.ok(verifySignature(Buffer.from('m'), first.sign(Buffer.from('m')), await readFile(publicPath, 'utf8')));
  const logged = lines.map((line) => JSON.parse(line) as { publicKey?: string; msg: string });
  assert.equal(logged[0]!.publicKey, publicPath);
  assert.match(logged[0]!.msg, /generated a development signing key/);
  assert.doesNotMatch(lines.join(''), /PRIVATE KEY/);
});
