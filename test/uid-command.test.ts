import assert from 'node:assert/strict';
import { test } from 'node:test';
import { osimage } from './support/cli.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';

test('osimage uid prints the uid on stdout', async () => {
  const result = await osimage(['uid', '--version', 'v2.3.0-pre-debug', '--commit', COMMIT]);
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, `v2.3.0-pre-debug-${COMMIT}\n`);
});

test('osimage uid exits 2 on bad input and says what is expected', async () => {
  const bad = await osimage(['uid', '--version', 'v2.3.0-beta', '--commit', COMMIT]);
  assert.equal(bad.exitCode, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /only "-pre-<suffix>" is allowed/);
  const short = await osimage(['uid', '--version', 'v2.3.0', '--commit', 'cc0de5c']);
  assert.equal(short.exitCode, 2);
  assert.match(short.stderr, /full 40-character/);
});

test('osimage uid resolves a short commit with --repo', async () => {
  const head = (await import('node:child_process')).execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const result = await osimage(['uid', '--version', 'v1.0.0-pre-x', '--commit', head.slice(0, 8), '--repo', '.']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, `v1.0.0-pre-x-${head}\n`);
  const unknown = await osimage(['uid', '--version', 'v1.0.0', '--commit', 'deadbeef', '--repo', '.']);
  assert.equal(unknown.exitCode, 2);
});
