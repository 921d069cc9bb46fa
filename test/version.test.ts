import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRelease, parseCommit, parseUid, parseVersion, uidOf } from '../discovery/version.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';

test('a release uid is the version', () => {
  const version = parseVersion('v2.2.0');
  assert.equal(isRelease(version), true);
  assert.equal(uidOf(version, COMMIT), 'v2.2.0');
});

test('a pseudo version uid is <version>-<commit>', () => {
  for (const text of ['v2.3.0-pre-debug', 'v2.3.0-pre-my-branch', 'v10.0.12-pre-feat-42']) {
    const version = parseVersion(text);
    assert.equal(isRelease(version), false);
    assert.equal(uidOf(version, COMMIT), `${text}-${COMMIT}`);
  }
});

test('bad versions are refused with what is expected', () => {
  const cases: Array<[string, RegExp]> = [
    ['2.2.0', /lacks the leading "v"/],
    ['v2.2', /is not a version/],
    ['v2.2.0.1', /is not a version/],
    ['v02.2.0', /is not a version/],
    ['v2.2.0-rc1', /only "-pre-<suffix>" is allowed/],
    ['v2.2.0-pre-', /empty suffix/],
    ['v2.2.0-pre', /only "-pre-<suffix>"|empty suffix/],
    ['v2.2.0-pre-My-Branch', /not usable in a file name/],
    ['v2.2.0-pre-a/b', /not usable in a file name/],
    ['v2.2.0-pre-a..b', /not usable in a file name/],
    ['v2.2.0-pre-a b', /not usable in a file name/],
    ['v2.2.0-pre--x', /not usable in a file name/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseVersion(text), (error: Error & { exitCode?: number }) => {
      assert.match(error.message, message, text);
      assert.match(error.message, /expected|use only/, text);
      assert.equal(error.exitCode, 2);
      return true;
    });
  }
});

test('commits must be the full 40-character lower-case hash', () => {
  assert.equal(parseCommit(COMMIT), COMMIT);
  assert.throws(() => parseCommit('cc0de5c'), /short hash \(7 characters\).*full 40-character/);
  assert.throws(() => parseCommit(COMMIT + 'a'), /too long \(41 characters\)/);
  assert.throws(() => parseCommit(COMMIT.toUpperCase()), /upper-case/);
  assert.throws(() => parseCommit('z'.repeat(40)), /not a hexadecimal hash/);
});

test('uids parse back to their version and commit', () => {
  assert.deepEqual(parseUid('v2.2.0'), { uid: 'v2.2.0', version: parseVersion('v2.2.0') });
  const pseudo = parseUid(`v2.3.0-pre-debug-${COMMIT}`);
  assert.equal(pseudo.commit, COMMIT);
  assert.equal(pseudo.version.suffix, 'debug');
  assert.throws(() => parseUid('v2.3.0-pre-debug'), /without its commit/);
});
