/** Discovery against a real HTTP server on 127.0.0.1 serving the bucket layout, through the CLI and the library. */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diskCache } from '../discovery/cache.js';
import { lookupImage } from '../discovery/lookup.js';
import { fetchMeasurements } from '../discovery/measurements.js';
import { formatMeasurements } from '../discovery/measurements-file.js';
import { listVersions } from '../discovery/versions.js';
import { makeKeys, PSEUDO, runCli, serveDirectory, TABLE, tempDir, writeFiles, signedManifest } from './discovery-fixtures.js';

const PCR = (digit: string) => ({ expected: digit.repeat(64), warnOnly: false });
const measurementsOf = (csp: 'aws' | 'gcp', image: string) => formatMeasurements({ csp, image, measurements: { 4: PCR('a'), 9: PCR('b') } });

/** A bucket with one release and one pseudo version, signed, and the server that serves it. */
async function publishedBucket(t: Parameters<typeof tempDir>[0] & { after(fn: () => Promise<void> | void): void }) {
  const dir = tempDir(t);
  const bucket = join(dir, 'bucket');
  const keys = makeKeys();
  const table = JSON.stringify(TABLE);
  const measurements = measurementsOf('aws', 'v2.2.0');
  writeFiles(bucket, {
    'images/v2.2.0.json': table,
    'images/v2.2.0.json.sig': keys.sign(table),
    'images/manifest.json': signedManifest(keys, { 'v2.2.0': table }),
    [`images/${PSEUDO}.json`]: JSON.stringify({ qemu: 'https://cdn.example.com/raw/pseudo/qemu.raw' }),
    'images/versions.json': JSON.stringify({ releases: ['v2.2.0', 'v2.1.0'], pseudo: [PSEUDO] }),
    'measurements/aws/v2.2.0/measurements.yaml': measurements,
    'measurements/aws/v2.2.0/measurements.yaml.sig': keys.sign(measurements),
  });
  const keyFile = join(dir, 'cosign.pub');
  writeFileSync(keyFile, keys.publicPem);
  const work = join(dir, 'work');
  writeFiles(work, { '.keep': '' });
  const server = await serveDirectory(t, bucket);
  return { dir, bucket, keys, keyFile, work, server, cli: (args: string[], env?: Record<string, string>) => runCli(args, { cwd: work, env }) };
}

describe('osimage lookup over HTTP', () => {
  it('selects by region and security type; stdout is only the reference', async (t) => {
    const { server, cli } = await publishedBucket(t);
    const base = ['--base-url', server.baseUrl];
    assert.deepEqual(await cli(['lookup', 'v2.2.0', '--csp', 'aws', '--region', 'eu-west-1', ...base]), { code: 0, stdout: `${TABLE.aws['eu-west-1']}\n`, stderr: '' });
    const lookup = (csp: 'azure' | 'gcp', securityType?: string) => lookupImage({ uid: 'v2.2.0', csp, securityType, baseUrl: server.baseUrl });
    assert.equal((await lookup('azure')).reference, TABLE.azure.cvm);
    assert.equal((await lookup('azure', 'trustedlaunch')).reference, TABLE.azure.trustedlaunch);
    assert.equal((await lookup('gcp')).reference, TABLE.gcp['sev-es']);
    const json = JSON.parse((await cli(['lookup', 'v2.2.0', '--csp', 'qemu', '--json', ...base])).stdout);
    assert.deepEqual(json, { uid: 'v2.2.0', csp: 'qemu', reference: TABLE.qemu, source: `${server.baseUrl}/images/v2.2.0.json`, verified: false });
  });

  it('a missing region, security type or cloud exits 2 and lists what the table has', async (t) => {
    const { server, cli } = await publishedBucket(t);
    const base = ['--base-url', server.baseUrl];
    const noRegion = await cli(['lookup', 'v2.2.0', '--csp', 'aws', '--region', 'ap-south-1', ...base]);
    assert.equal(noRegion.code, 2);
    assert.equal(noRegion.stdout, '');
    assert.match(noRegion.stderr, /v2.2.0 has no AMI in ap-south-1; it has: eu-west-1, us-east-1/);
    const exit2 = (pattern: RegExp) => (error: Error & { exitCode?: number }) => error.exitCode === 2 && pattern.test(error.message);
    await assert.rejects(lookupImage({ uid: 'v2.2.0', csp: 'gcp', securityType: 'sev-snp', baseUrl: server.baseUrl }), exit2(/it has: sev-es/));
    await assert.rejects(lookupImage({ uid: PSEUDO, csp: 'aws', region: 'us-east-1', baseUrl: server.baseUrl }), exit2(/has no aws image; it has: qemu/));
  });

  it('a 404 is "no such image version", exit 2', async (t) => {
    const { server, cli } = await publishedBucket(t);
    const result = await cli(['lookup', 'v9.9.9', '--csp', 'qemu', '--base-url', server.baseUrl]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no such image version: v9.9.9/);
  });

  it('malformed, hostile and oversized tables are errors (exit 1), never an answer', async (t) => {
    const { bucket, server, cli } = await publishedBucket(t);
    const base = ['--base-url', server.baseUrl];
    const cases: Array<[string, RegExp]> = [
      ['{"aws": {"us-east-1": "ami-0123456789abcdef0"', /not JSON/],
      ['{"qemu": "http://evil.example.com/qemu.raw"}', /plain http/],
      ['{"qemu": "file:///etc/passwd"}', /only a local store may use/],
      ['{"__proto__": {"qemu": "https://evil.example.com/q.raw"}, "qemu": "https://cdn.example.com/q.raw"}', /unexpected keys under the top level: "__proto__"/],
      ['{"azure": {"cvm": "/CommunityGalleries/a/Images/b/Versions/1", "latest": "x"}}', /unexpected keys under azure: "latest"/],
      [`{"qemu": "https://cdn.example.com/q.raw", "pad": "${'x'.repeat(70_000)}"}`, /bigger than the 65536 bytes/],
    ];
    for (const [text, pattern] of cases) {
      writeFileSync(join(bucket, 'images/v2.2.1.json'), text);
      await assert.rejects(lookupImage({ uid: 'v2.2.1', csp: 'qemu', baseUrl: server.baseUrl }), (error: Error & { exitCode?: number }) => pattern.test(error.message) && error.exitCode === 1);
    }
    // And through the CLI: exit 1, nothing on stdout.
    const result = await cli(['lookup', 'v2.2.1', '--csp', 'qemu', '--no-cache', ...base]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, cases.at(-1)![1]);
  });

  it('stops reading a body streamed past the limit, and times out a server that does not answer', async (t) => {
    const { server } = await publishedBucket(t);
    server.special.set('/images/v2.2.2.json', (response) => {
      // No content-length: the cap must hold while streaming.
      response.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      for (let i = 0; i < 8; i++) response.write(chunk);
      response.end('{}');
    });
    server.special.set('/images/v2.2.3.json', () => {});
    await assert.rejects(lookupImage({ uid: 'v2.2.2', csp: 'qemu', baseUrl: server.baseUrl }), /bigger than the 65536 bytes/);
    await assert.rejects(lookupImage({ uid: 'v2.2.3', csp: 'qemu', baseUrl: server.baseUrl, timeoutMs: 300 }), /no answer within 0.3 s/);
  });

  it('--key: a valid signature passes; a changed table, a missing or foreign signature fail closed', async (t) => {
    const { bucket, keys, keyFile, server, cli } = await publishedBucket(t);
    const args = (uid: string) => ['lookup', uid, '--csp', 'qemu', '--key', keyFile, '--no-cache', '--base-url', server.baseUrl];
    const ok = await cli([...args('v2.2.0'), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).verified, true);

    const changed = JSON.stringify({ ...TABLE, qemu: 'https://evil.example.com/qemu.raw' });
    writeFiles(bucket, { 'images/v2.2.4.json': changed, 'images/v2.2.4.json.sig': keys.sign(JSON.stringify(TABLE)) });
    const tampered = await cli(args('v2.2.4'));
    assert.equal(tampered.code, 1);
    assert.equal(tampered.stdout, '');
    assert.match(tampered.stderr, /signature of .*v2.2.4.json does not match/);

    const verified = (uid: string, publicKeyPem: string) => lookupImage({ uid, csp: 'qemu', baseUrl: server.baseUrl, publicKeyPem });
    await assert.rejects(verified(PSEUDO, keys.publicPem), /has no signature/);
    await assert.rejects(verified('v2.2.0', makeKeys().publicPem), /does not match/);
    await assert.rejects(verified('v2.2.0', 'not a key'), (error: Error & { exitCode?: number }) => error.exitCode === 2 && /public key cannot check/.test(error.message));
  });

  it('--key: a signed table replayed as another uid fails, though its own signature verifies', async (t) => {
    const { bucket, keys, server } = await publishedBucket(t);
    const verified = (uid: string) => lookupImage({ uid, csp: 'qemu', baseUrl: server.baseUrl, publicKeyPem: keys.publicPem });
    // An old release's table and its valid .sig, served as a new uid's.
    const old = JSON.stringify(TABLE);
    writeFiles(bucket, { 'images/v2.3.0.json': old, 'images/v2.3.0.json.sig': keys.sign(old) });
    await assert.rejects(verified('v2.3.0'), /signed manifest .* does not list v2.3.0/);
    // The manifest lists the new uid with its own table; the replayed one is not it.
    const fresh = JSON.stringify({ qemu: 'https://cdn.example.com/raw/v2.3.0/qemu.raw' });
    writeFiles(bucket, { 'images/manifest.json': signedManifest(keys, { 'v2.2.0': old, 'v2.3.0': fresh }) });
    await assert.rejects(verified('v2.3.0'), /not the one the signed manifest .* names for it/);
    // A manifest by another key, or one whose payload was changed, is not trusted.
    writeFiles(bucket, { 'images/manifest.json': signedManifest(makeKeys(), { 'v2.3.0': old }) });
    await assert.rejects(verified('v2.3.0'), /signature of .*manifest.json does not match/);
    const envelope = JSON.parse(signedManifest(keys, { 'v2.3.0': fresh })) as { payload: string; signature: string };
    writeFiles(bucket, { 'images/manifest.json': JSON.stringify({ ...envelope, payload: envelope.payload.replace(/"[0-9a-f]{64}"/, `"${'0'.repeat(64)}"`) }) });
    await assert.rejects(verified('v2.3.0'), /signature of .*manifest.json does not match/);
    writeFiles(bucket, { 'images/manifest.json': signedManifest(keys, { 'v2.2.0': old, 'v2.3.0': fresh }), 'images/v2.3.0.json': fresh, 'images/v2.3.0.json.sig': keys.sign(fresh) });
    assert.equal((await verified('v2.3.0')).reference, 'https://cdn.example.com/raw/v2.3.0/qemu.raw');
  });

  it('caches release tables but never pseudo versions, and refreshes a cached table that lacks the entry', async (t) => {
    const { bucket, server, dir } = await publishedBucket(t);
    const cache = diskCache(join(dir, 'cache'));
    const lookup = (uid: string, region?: string) => lookupImage({ uid, csp: region ? 'aws' : 'qemu', region, baseUrl: server.baseUrl, cache });
    const tableRequests = (uid: string) => server.requests.filter((path) => path === `/images/${uid}.json`).length;
    await lookup('v2.2.0');
    await lookup('v2.2.0');
    assert.equal(tableRequests('v2.2.0'), 1, 'the release table is read once');
    await lookup(PSEUDO);
    await lookup(PSEUDO);
    assert.equal(tableRequests(PSEUDO), 2, 'the pseudo version is read every time');

    // The release grew: replicated to a new region after it was cached.
    writeFileSync(join(bucket, 'images/v2.2.0.json'), JSON.stringify({ ...TABLE, aws: { ...TABLE.aws, 'ap-south-1': 'ami-0aaaaaaaaaaaaaaa1' } }));
    assert.equal((await lookup('v2.2.0', 'ap-south-1')).reference, 'ami-0aaaaaaaaaaaaaaa1');
    assert.equal(tableRequests('v2.2.0'), 2);

    // A damaged cache entry is a miss, not an error.
    const cacheFiles = readdirSync(join(dir, 'cache/tables'), { recursive: true, withFileTypes: true });
    for (const entry of cacheFiles) if (entry.name === 'v2.2.0.json') writeFileSync(join(entry.parentPath, entry.name), '{"aws": ');
    assert.equal((await lookup('v2.2.0', 'ap-south-1')).reference, 'ami-0aaaaaaaaaaaaaaa1');
    assert.equal(tableRequests('v2.2.0'), 3);
  });

  it('a user repository replaces the base URL for tables: --repository, then OSIMAGE_REPOSITORY, before OSIMAGE_BASE_URL', async (t) => {
    const published = await publishedBucket(t);
    const own = tempDir(t);
    writeFiles(own, { 'images/v2.2.0.json': JSON.stringify({ aws: { 'us-east-1': 'ami-0bbbbbbbbbbbbbbb2' } }) });
    const repository = await serveDirectory(t, own);
    const args = ['lookup', 'v2.2.0', '--csp', 'aws', '--region', 'us-east-1', '--no-cache'];
    assert.equal((await published.cli([...args, '--repository', repository.baseUrl])).stdout, 'ami-0bbbbbbbbbbbbbbb2\n');
    const env = { OSIMAGE_REPOSITORY: repository.baseUrl, OSIMAGE_BASE_URL: published.server.baseUrl };
    assert.equal((await published.cli(args, env)).stdout, 'ami-0bbbbbbbbbbbbbbb2\n');
    assert.equal((await published.cli(args, { OSIMAGE_BASE_URL: published.server.baseUrl })).stdout, `${TABLE.aws['us-east-1']}\n`);
    // Measurements describe the image's bytes: they are the publisher's, whatever repository holds the tables.
    const measurements = await published.cli(['measurements', 'v2.2.0', '--csp', 'aws', '--key', published.keyFile], env);
    assert.equal(measurements.stdout, measurementsOf('aws', 'v2.2.0'), measurements.stderr);
    const both = await published.cli([...args, '--repository', repository.baseUrl, '--base-url', published.server.baseUrl]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);
  });
});

describe('osimage measurements over HTTP', () => {
  it('prints the file when its signature verifies', async (t) => {
    const { keyFile, server, cli } = await publishedBucket(t);
    const result = await cli(['measurements', 'v2.2.0', '--csp', 'aws', '--key', keyFile, '--base-url', server.baseUrl]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, measurementsOf('aws', 'v2.2.0'));
    assert.equal(result.stderr, '');
  });

  it('fails closed: changed file, missing signature, no key; --insecure prints it with a loud warning', async (t) => {
    const { bucket, keys, keyFile, server, cli } = await publishedBucket(t);
    const base = ['--base-url', server.baseUrl];
    writeFileSync(join(bucket, 'measurements/aws/v2.2.0/measurements.yaml'), measurementsOf('aws', 'v2.2.0').replace('aaaa', 'aaab'));
    const changed = await cli(['measurements', 'v2.2.0', '--csp', 'aws', '--key', keyFile, ...base]);
    assert.equal(changed.code, 1);
    assert.equal(changed.stdout, '');
    assert.match(changed.stderr, /does not match/);

    writeFiles(bucket, { 'measurements/gcp/v2.2.0/measurements.yaml': measurementsOf('gcp', 'v2.2.0') });
    await assert.rejects(fetchMeasurements({ uid: 'v2.2.0', csp: 'gcp', baseUrl: server.baseUrl, publicKeyPem: keys.publicPem }), /has no signature/);

    const noKey = await cli(['measurements', 'v2.2.0', '--csp', 'gcp', ...base]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /--key/);

    const insecure = await cli(['measurements', 'v2.2.0', '--csp', 'gcp', '--insecure', ...base]);
    assert.equal(insecure.code, 0);
    assert.equal(insecure.stdout, measurementsOf('gcp', 'v2.2.0'));
    assert.match(insecure.stderr, /WARNING: --insecure: .* was NOT verified/);
  });

  it('a validly signed file of another csp or uid does not pass for the one asked', async (t) => {
    const { bucket, keys, server } = await publishedBucket(t);
    const swapped = measurementsOf('gcp', 'v2.2.0');
    writeFiles(bucket, { 'measurements/aws/v2.2.1/measurements.yaml': swapped, 'measurements/aws/v2.2.1/measurements.yaml.sig': keys.sign(swapped) });
    const fetch = (uid: string) => fetchMeasurements({ uid, csp: 'aws', baseUrl: server.baseUrl, publicKeyPem: keys.publicPem });
    await assert.rejects(fetch('v2.2.1'), (error: Error & { exitCode?: number }) => error.exitCode === 1 && /is for gcp v2.2.0, not for aws v2.2.1/.test(error.message));
    await assert.rejects(fetch('v9.9.9'), (error: Error & { exitCode?: number }) => error.exitCode === 2 && /no measurements for aws of v9.9.9/.test(error.message));
  });
});

describe('osimage versions over HTTP', () => {
  it('lists releases and pseudo versions apart, newest first', async (t) => {
    const { server, cli } = await publishedBucket(t);
    const text = await cli(['versions', '--base-url', server.baseUrl]);
    assert.equal(text.stdout, `releases:\n  v2.2.0\n  v2.1.0\npseudo versions:\n  ${PSEUDO}\n`);
    assert.deepEqual(await listVersions({ baseUrl: server.baseUrl }), { releases: ['v2.2.0', 'v2.1.0'], pseudo: [PSEUDO] });
  });

  it('a missing or malformed index is an error', async (t) => {
    const { bucket, server } = await publishedBucket(t);
    writeFileSync(join(bucket, 'images/versions.json'), '{"releases": ["v2.2.0"], "pseudo": [], "extra": 1}');
    await assert.rejects(listVersions({ baseUrl: server.baseUrl }), /versions.json must be/);
    const empty = await serveDirectory(t, tempDir(t));
    await assert.rejects(listVersions({ baseUrl: empty.baseUrl }), /does not exist: nothing was published there/);
  });
});
