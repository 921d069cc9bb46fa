import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/load.js';
import { resolveSecret } from '../config/secret.js';
import { osimage } from './support/cli.js';

async function configFile(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'config-')), 'osimage.yaml');
  await writeFile(path, text);
  return path;
}

test('the embedded default is valid and resolves its paths against the working directory', async () => {
  const { config } = await loadConfig();
  assert.equal(config.store.url, new URL(`file://${process.cwd()}/.osimage/bucket`).href);
  assert.equal(config.stateDir, join(process.cwd(), '.osimage/state'));
  assert.deepEqual(config.qemu, {});
});

test('config/release.example.yaml documents a valid config', async () => {
  await loadConfig('config/release.example.yaml');
});

test('errors name the file, the key path and the fix', async () => {
  const path = await configFile('store:\n  url: ftp://nope\npublicBaseUrl: https://cdn.example.com\nqemu: {}\nbogus: 1\n');
  await assert.rejects(loadConfig(path), (error: Error & { exitCode: number }) => {
    assert.equal(error.exitCode, 2);
    assert.ok(error.message.includes(path));
    assert.match(error.message, /store\.url: expected file:\/\/<directory> or s3:\/\/<bucket>/);
    assert.match(error.message, /unknown key "bogus" \(.*osimage\.yaml:5\); check the spelling/);
    return true;
  });
  const typo = await configFile('store: { url: file://x }\npublicBaseUrl: https://cdn.example.com\nsigning: { development: true }\naws:\n  import:\n    region: us-east-1\n    buckt: b\n  regions: [us-east-1]\n');
  await assert.rejects(loadConfig(typo), /  - aws\.import: unknown key "buckt" \(.*:7\); did you mean "bucket"\?/);
  await assert.rejects(loadConfig(await configFile('store: [unclosed\n')), /not valid YAML/);
  await assert.rejects(loadConfig('/nonexistent/osimage.yaml'), /cannot read the config file \/nonexistent\/osimage.yaml: ENOENT/);
});

test('a secret written into the file is refused; env:NAME is read when used', async () => {
  const inline = await configFile(
    'store: { url: file://x }\npublicBaseUrl: https://cdn.example.com\nsigning:\n  key: "-----BEGIN PRIVATE KEY-----abc"\n',
  );
  await assert.rejects(loadConfig(inline), /secrets never sit in the config file/);
  process.env.OSIMAGE_TEST_SECRET = 'hunter2';
  assert.equal(await resolveSecret('env:OSIMAGE_TEST_SECRET'), 'hunter2');
  await assert.rejects(resolveSecret('env:OSIMAGE_TEST_UNSET'), (error: Error) => {
    assert.match(error.message, /OSIMAGE_TEST_UNSET/);
    return true;
  });
});

test('osimage config validate prints the config with defaults, or exits 2', async () => {
  const ok = await osimage(['config', 'validate']);
  assert.equal(ok.exitCode, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).journal, 'local');
  const bad = await osimage(['config', 'validate', await configFile('store: {}\n')]);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /store\.url/);
});
