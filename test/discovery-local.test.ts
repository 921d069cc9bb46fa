/**
 * Discovery of a local run: the file:// store laid out by the pipeline's own file store and publish keys, read with
 * the embedded default config (file://.osimage/bucket in the working directory), and a local <uid>.json that wins.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.js';
import { formatMeasurements } from '../discovery/measurements-file.js';
import { addToIndex, EMPTY_INDEX, formatVersionsIndex } from '../discovery/versions-index.js';
import { publicUrl } from '../pipeline/public-url.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { formatLookupTable } from '../steps/assemble.js';
import { measurementsKey, signatureKey, tableKey, VERSIONS_KEY } from '../steps/publish/keys.js';
import { makeKeys, PSEUDO, runCli, TABLE, tempDir, writeFiles, signedManifest } from './discovery-fixtures.js';

/** What a local `osimage run` leaves in its working directory, written with the pipeline's own modules. */
async function localRun(t: Parameters<typeof tempDir>[0]) {
  const work = tempDir(t);
  const keys = makeKeys();
  const previous = process.cwd();
  process.chdir(work);
  let config;
  try {
    ({ config } = await loadConfig());
  } finally {
    process.chdir(previous);
  }
  const store = new FileStore(join(work, '.osimage/bucket'));
  const qemu = publicUrl(config, `raw/${PSEUDO}/qemu.raw`);
  const table = formatLookupTable({ qemu });
  const measurements = formatMeasurements({ csp: 'qemu', image: PSEUDO, measurements: { 4: { expected: 'c'.repeat(64), warnOnly: false } } });
  await store.put(`raw/${PSEUDO}/qemu.raw`, Buffer.alloc(4096));
  await store.put(measurementsKey('qemu', PSEUDO), measurements);
  await store.put(signatureKey(measurementsKey('qemu', PSEUDO)), keys.sign(measurements));
  await store.put(signatureKey(tableKey(PSEUDO)), keys.sign(table));
  await store.put(tableKey(PSEUDO), table);
  await store.put('images/manifest.json', signedManifest(keys, { [PSEUDO]: table }));
  await store.put(VERSIONS_KEY, formatVersionsIndex(addToIndex(EMPTY_INDEX, PSEUDO)));
  writeFileSync(join(work, 'cosign.pub'), keys.publicPem);
  return { work, qemu, measurements, keys, cli: (args: string[], env?: Record<string, string>) => runCli(args, { cwd: work, env }) };
}

describe('discovery of a local run', () => {
  it('finds every reference and the verified measurements with the embedded config, no flags', async (t) => {
    const { qemu, measurements, cli } = await localRun(t);
    assert.match(qemu, /^file:\/\/\/.*\/\.osimage\/bucket\/raw\//);
    assert.deepEqual(await cli(['lookup', PSEUDO, '--csp', 'qemu', '--key', 'cosign.pub']), { code: 0, stdout: `${qemu}\n`, stderr: '' });
    const verified = await cli(['measurements', PSEUDO, '--csp', 'qemu', '--key', 'cosign.pub']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout, measurements);
    assert.equal((await cli(['versions'])).stdout, `releases:\n  (none)\npseudo versions:\n  ${PSEUDO}\n`);
  });

  it('a local <uid>.json in the working directory wins; --lookup-dir names where to look', async (t) => {
    const { work, cli } = await localRun(t);
    writeFiles(work, { [`${PSEUDO}.json`]: JSON.stringify({ qemu: 'https://mirror.example.com/qemu.raw' }) });
    const local = await cli(['lookup', PSEUDO, '--csp', 'qemu', '--json']);
    assert.equal(JSON.parse(local.stdout).reference, 'https://mirror.example.com/qemu.raw');
    assert.equal(JSON.parse(local.stdout).source, join(work, `${PSEUDO}.json`));

    writeFiles(work, { [`tables/${PSEUDO}.json`]: JSON.stringify({ qemu: 'https://other.example.com/qemu.raw' }) });
    assert.equal((await cli(['lookup', PSEUDO, '--csp', 'qemu', '--lookup-dir', 'tables'])).stdout, 'https://other.example.com/qemu.raw\n');
    const absent = await cli(['lookup', 'v2.2.0', '--csp', 'qemu', '--lookup-dir', 'tables']);
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /there is no v2.2.0.json in tables/);

    // With --key the local table must be signed too: the unsigned local file fails closed.
    const unsigned = await cli(['lookup', PSEUDO, '--csp', 'qemu', '--key', 'cosign.pub']);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /has no signature/);
  });

  it('help and malformed invocations get commander\'s messages and exit codes', async (t) => {
    const { cli } = await localRun(t);
    const help = await cli(['lookup', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: osimage lookup \[options\] <uid>[\s\S]*Exit codes/);
    const bad = await cli(['lookup', PSEUDO, '--csp', 'openstack']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Allowed choices are aws, azure, gcp, qemu/);
  });

  it('a --config with a repository reads from that repository', async (t) => {
    const { work, cli } = await localRun(t);
    const repository = join(work, 'my-repository');
    writeFiles(repository, { 'images/v2.2.0.json': JSON.stringify(TABLE) });
    writeFiles(work, { 'release.yaml': `store:\n  url: file://.osimage/bucket\npublicBaseUrl: file://.osimage/bucket\nsigning: { development: true }\nrepository: ${pathToFileURL(repository).href}\n` });
    const result = await cli(['lookup', 'v2.2.0', '--csp', 'aws', '--region', 'us-east-1', '--config', 'release.yaml']);
    assert.equal(result.stdout, `${TABLE.aws['us-east-1']}\n`, result.stderr);
    // A consumer's own config needs nothing but the repository.
    writeFiles(work, { 'consumer.yaml': `repository: ${pathToFileURL(repository).href}\n` });
    const consumer = await cli(['lookup', 'v2.2.0', '--csp', 'aws', '--region', 'us-east-1', '--config', 'consumer.yaml']);
    assert.equal(consumer.stdout, `${TABLE.aws['us-east-1']}\n`, consumer.stderr);
    const measurements = await cli(['measurements', 'v2.2.0', '--csp', 'aws', '--insecure', '--config', 'consumer.yaml']);
    assert.equal(measurements.code, 2, 'measurements come from the publisher, which a repository-only config does not name');
    assert.match(measurements.stderr, /no URL to read measurements from/);
    const broken = await cli(['lookup', 'v2.2.0', '--csp', 'qemu', '--config', 'missing.yaml']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /cannot read the config file missing.yaml/);
  });

  it('a signature made by openssl verifies, and one of ours verifies with openssl', async (t) => {
    const dir = tempDir(t);
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not installed');
      return;
    }
    const { verifySignature } = await import('../discovery/signature.js');
    const file = join(dir, 'table.json');
    writeFileSync(file, JSON.stringify(TABLE));
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'key.pem')]);
    execFileSync('openssl', ['ec', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'pub.pem')], { stdio: 'ignore' });
    const der = execFileSync('openssl', ['dgst', '-sha256', '-sign', join(dir, 'key.pem'), file]);
    const publicPem = readFileSync(join(dir, 'pub.pem'), 'utf8');
    assert.equal(verifySignature(Buffer.from(JSON.stringify(TABLE)), der.toString('base64'), publicPem), true);
    assert.equal(verifySignature(Buffer.from(JSON.stringify({ ...TABLE, qemu: 'https://x.example.com/q' })), der.toString('base64'), publicPem), false);

    const keys = makeKeys();
    writeFileSync(join(dir, 'ours.pub'), keys.publicPem);
    writeFileSync(join(dir, 'table.sig.der'), Buffer.from(keys.sign(JSON.stringify(TABLE)), 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'ours.pub'), '-signature', join(dir, 'table.sig.der'), file]).toString();
    assert.match(out, /Verified OK/);
  });
});

describe('discovery after a real local `osimage run`', () => {
  it('finds the reference, the verified measurements and the version of what the run published', async (t) => {
    const work = tempDir(t);
    const script = fileURLToPath(new URL('../scripts/make-sample-image.js', import.meta.url));
    // The embedded local config, with the sample image script found from anywhere.
    const local = readFileSync(fileURLToPath(new URL('../../config/local.yaml', import.meta.url)), 'utf8');
    writeFiles(work, { 'local.yaml': local.replace('dist/scripts/make-sample-image.js', script) });
    const run = await runCli(['run', '--config', 'local.yaml', '--version', 'v2.3.0-pre-debug', '--commit', PSEUDO.slice(-40)], { cwd: work });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const key = '.osimage/state/signing/development-key.pub.pem';
    const cli = (args: string[]) => runCli([...args, '--config', 'local.yaml'], { cwd: work });
    const lookup = await cli(['lookup', PSEUDO, '--csp', 'qemu', '--key', key]);
    // A pseudo version's raw image is stored under its digest.
    assert.match(lookup.stdout, new RegExp(`^${pathToFileURL(join(work, `.osimage/bucket/raw/${PSEUDO}/`)).href}[0-9a-f]{64}/qemu\\.raw\n$`), lookup.stderr);
    const measurements = await cli(['measurements', PSEUDO, '--csp', 'qemu', '--key', key]);
    assert.equal(measurements.code, 0, measurements.stderr);
    assert.match(measurements.stdout, new RegExp(`^csp: qemu\nimage: ${PSEUDO}\nmeasurements:\n`));
    assert.match((await cli(['versions'])).stdout, new RegExp(`pseudo versions:\n  ${PSEUDO}\n`));
  });
});
