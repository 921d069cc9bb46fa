import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../config/schema.js';
import { parseVersion, uidOf } from '../discovery/version.js';
import { galleryVersionName } from '../steps/upload/azure/version-name.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const name = (version: string, commit = COMMIT) => galleryVersionName(uidOf(parseVersion(version), commit), parseVersion(version));

test('a release is named MAJOR.MINOR.PATCH in the gallery', () => {
  assert.equal(name('v2.2.0'), '2.2.0');
  assert.equal(name('v10.0.31'), '10.0.31');
});

test('a pseudo version gets a stable name below every release, different per uid', () => {
  const debug = name('v2.3.0-pre-debug');
  assert.match(debug, /^0\.2003000\.\d+$/);
  assert.equal(name('v2.3.0-pre-debug'), debug, 'the same uid must give the same name on every run');
  assert.notEqual(name('v2.3.0-pre-debug', 'a'.repeat(40)), debug);
  assert.notEqual(name('v2.3.0-pre-my-branch'), debug);
  assert.ok(Number(debug.split('.')[2]) <= 2 ** 31 - 1);
});

test('a pseudo version Azure cannot name is refused with the limits', () => {
  assert.throws(() => name('v2.1000.0-pre-debug'), /cannot be named in an Azure gallery/);
});

const base = {
  store: { url: 'file://out' },
  publicBaseUrl: 'https://cdn.example.com',
  signing: { development: true },
};
const azure = {
  subscriptionId: '00000000-0000-4000-8000-000000000001',
  resourceGroup: 'images',
  location: 'westeurope',
  gallery: 'osimage',
  imageDefinitions: { cvm: { name: 'os-cvm', publisher: 'example', offer: 'os', sku: 'cvm' } },
};

test('the azure section fills in defaults', () => {
  const config = configSchema.parse({ ...base, azure: { ...azure, securityTypes: ['cvm'] } });
  assert.equal(config.azure!.cvmSecurityType, 'ConfidentialVM_VMGuestStateOnlyEncryptedWithPlatformKey');
  assert.equal(config.azure!.upload.concurrency, 8);
  assert.equal(config.azure!.timeouts.replicationMinutes, 180);
});

test('every security type built needs an image definition', () => {
  const result = configSchema.safeParse({ ...base, azure });
  assert.ok(!result.success);
  assert.match(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'), /azure\.imageDefinitions\.trustedlaunch: the trustedlaunch image is built/);
});

test('a token in the config file is refused: it must be a reference', () => {
  const result = configSchema.safeParse({ ...base, azure: { ...azure, securityTypes: ['cvm'], accessToken: 'eyJ0eXAi\nsecret' } });
  assert.ok(!result.success);
  assert.match(result.error.issues.map((issue) => issue.message).join('\n'), /env:NAME/);
});
