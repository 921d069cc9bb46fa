import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { configSchema, type ConfigInput } from '../config/schema.js';
import { parseMeasurements } from '../discovery/measurements-file.js';
import { verifySignature } from '../discovery/signature.js';
import { parseVersion, type Csp } from '../discovery/version.js';
import type { RunContext } from '../pipeline/context.js';
import { resolveSigner } from '../pipeline/signing.js';
import { FileStore } from '../pipeline/store/file-store.js';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { measureStage } from '../steps/measure.js';
import type { EventLog } from '../steps/measure/event-log.js';
import { tempDir } from './measure-fixtures.js';
import { RetryCounts } from '../pipeline/retry.js';

const uid = 'v2.2.0';

async function context(dir: string, csps: Csp[], images: Partial<Record<Csp, string>>, extra: Partial<ConfigInput> = {}) {
  const lines: string[] = [];
  const config = configSchema.parse({
    store: { url: pathToFileURL(join(dir, 'bucket')).href },
    publicBaseUrl: 'https://cdn.example.com',
    stateDir: join(dir, 'state'),
    signing: { development: true },
    ...extra,
  });
  const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  const ctx: RunContext = {
    version: parseVersion(uid),
    commit: 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b',
    uid,
    config,
    csps,
    dryRun: true,
    extend: false,
    log,
    signal: new AbortController().signal,
    warnings: [],
    retries: new RetryCounts(),
    store: new FileStore(join(dir, 'bucket')),
    signer: () => resolveSigner(config, log),
    toolVersion: '0.0.0-test',
    journal: () => Promise.reject(new Error('the measure stage keeps no journal: it writes nothing remote')),
    imageOverrides: {},
    images: Object.fromEntries(Object.entries(images).map(([csp, path]) => [csp, { path, size: 0 }])),
    references: {},
    measurements: {},
  };
  return { ctx, lines };
}

test('the measure stage measures and signs every cloud that has an image, and keeps the event log', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'disk.raw');
  await writeSampleImage(image, { sizeMiB: 20 });
  const other = join(dir, 'other.raw');
  await writeSampleImage(other, { sizeMiB: 20, cmdline: 'console=ttyS0 root=PARTLABEL=root ro quiet' });
  const firmware = { expected: '5a'.repeat(32), warnOnly: true };
  const { ctx, lines } = await context(dir, ['aws', 'qemu', 'gcp'], { aws: image, qemu: other }, {
    measure: { overrides: { aws: { '0': firmware } } },
  });

  assert.equal(measureStage.skip?.(ctx), false);
  await measureStage.run(ctx);

  assert.deepEqual(Object.keys(ctx.measurements).sort(), ['aws', 'qemu'], 'gcp has no image');
  const publicKey = await readFile(join(dir, 'state/signing/development-key.pub.pem'), 'utf8');
  for (const csp of ['aws', 'qemu'] as const) {
    const { yaml, signature } = ctx.measurements[csp]!;
    const file = parseMeasurements(yaml);
    assert.equal(file.csp, csp);
    assert.equal(file.image, uid);
    assert.ok(verifySignature(Buffer.from(yaml), signature!, publicKey), `${csp}'s measurements are signed`);
    const eventLog = JSON.parse(await readFile(join(dir, 'state', uid, csp, 'event-log.json'), 'utf8')) as EventLog;
    for (const pcr of [4, 9, 11]) assert.equal(eventLog.pcrs[pcr], file.measurements[pcr]!.expected);
  }
  const aws = parseMeasurements(ctx.measurements.aws!.yaml).measurements;
  const qemu = parseMeasurements(ctx.measurements.qemu!.yaml).measurements;
  assert.deepEqual(aws[0], firmware);
  assert.equal(qemu[0], undefined);
  assert.notEqual(aws[9]!.expected, qemu[9]!.expected, 'a different command line changes PCR 9');
  assert.notEqual(aws[11]!.expected, qemu[11]!.expected, 'and PCR 11');
  assert.notEqual(aws[4]!.expected, qemu[4]!.expected, "and PCR 4: the UKI's Authenticode digest covers .cmdline");
  const logged = lines.map((line) => JSON.parse(line) as { msg: string; eventLog?: string; csp?: string });
  assert.ok(logged.some((line) => /development signing key/.test(line.msg)), 'says which key signs');
  assert.ok(logged.some((line) => line.csp === 'aws' && line.eventLog === join(dir, 'state', uid, 'aws', 'event-log.json')));
});

test('the measure stage skips a run without images, and fails clearly on a bad one', async (t) => {
  const dir = await tempDir(t);
  const { ctx } = await context(dir, ['aws'], {});
  assert.equal(measureStage.skip?.(ctx), 'no raw images to measure');

  const bad = join(dir, 'bad.raw');
  await writeSampleImage(bad, { sizeMiB: 20, stubVersion: '999' });
  const { ctx: badCtx } = await context(dir, ['aws'], { aws: bad });
  await assert.rejects(measureStage.run(badCtx), /systemd-stub 999 is not a version/);
  assert.equal(badCtx.measurements.aws, undefined);
});
