import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { formatMeasurements, parseMeasurements } from '../discovery/measurements-file.js';
import { addToIndex, EMPTY_INDEX, formatVersionsIndex, parseVersionsIndex } from '../discovery/versions-index.js';
import { REDACT } from '../pipeline/logger.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const DIGEST = 'ab'.repeat(32);

test('measurements files round-trip in their one canonical form', () => {
  const file = { csp: 'aws' as const, image: 'v2.2.0', measurements: { 11: { expected: DIGEST, warnOnly: false }, 4: { expected: DIGEST, warnOnly: true } } };
  const text = formatMeasurements(file);
  assert.equal(text, `csp: aws\nimage: v2.2.0\nmeasurements:\n  4: { expected: "${DIGEST}", warnOnly: true }\n  11: { expected: "${DIGEST}", warnOnly: false }\n`);
  assert.deepEqual(parseMeasurements(text), file);
});

test('malformed measurements files are refused, never guessed', () => {
  const bad = [
    'csp: aws\nimage: v2.2.0\nmeasurements: {}\n',
    `csp: azure2\nimage: v2.2.0\nmeasurements:\n  4: { expected: "${DIGEST}", warnOnly: false }\n`,
    `csp: aws\nimage: v2.2.0\nmeasurements:\n  24: { expected: "${DIGEST}", warnOnly: false }\n`,
    `csp: aws\nimage: v2.2.0\nmeasurements:\n  4: { expected: "${DIGEST.toUpperCase()}", warnOnly: false }\n`,
    `csp: aws\nimage: v2.2.0\nmeasurements:\n  4: { expected: "${DIGEST}", warnOnly: "no" }\n`,
    `csp: aws\nimage: v2.2.0\nextra: 1\nmeasurements:\n  4: { expected: "${DIGEST}", warnOnly: false }\n`,
    'csp: [unclosed',
  ];
  for (const text of bad) assert.throws(() => parseMeasurements(text), /measurements file/, text);
});

test('versions.json: releases newest version first, pseudo versions newest publication first', () => {
  let index = EMPTY_INDEX;
  for (const uid of ['v2.2.0', 'v2.10.0', `v2.3.0-pre-a-${COMMIT}`, 'v2.9.1', `v2.3.0-pre-b-${COMMIT}`]) index = addToIndex(index, uid);
  assert.deepEqual(index, { releases: ['v2.10.0', 'v2.9.1', 'v2.2.0'], pseudo: [`v2.3.0-pre-b-${COMMIT}`, `v2.3.0-pre-a-${COMMIT}`] });
  assert.equal(addToIndex(index, 'v2.2.0'), index, 'adding a listed release changes nothing');
  assert.deepEqual(addToIndex(index, `v2.3.0-pre-a-${COMMIT}`).pseudo[0], `v2.3.0-pre-a-${COMMIT}`, 'a republished pseudo version moves to the front');
  assert.deepEqual(parseVersionsIndex(formatVersionsIndex(index)), index);
  assert.throws(() => parseVersionsIndex('{"releases":["../x"],"pseudo":[]}'), /versions.json must be/);
  assert.throws(() => parseVersionsIndex('[]'), /versions.json must be/);
});

test('secrets never reach a log line', () => {
  let out = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => { out += chunk; done(); } });
  const log = pino({ redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  log.info({ sasUrl: 'https://x/?sig=SECRET1', token: 'SECRET2', request: { authorization: 'Bearer SECRET3' }, key: 'images/v1.json' }, 'hello');
  assert.doesNotMatch(out, /SECRET/);
  assert.match(out, /images\/v1\.json/, 'object keys are not secrets');
});
