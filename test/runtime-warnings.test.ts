import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const RUNTIME_WARNINGS = new URL('../pipeline/runtime-warnings.js', import.meta.url).href;

test('a runtime warning reaches stderr once, as a JSON log line, not as Node prints it', () => {
  const script = `
    const { routeRuntimeWarnings } = await import(${JSON.stringify(RUNTIME_WARNINGS)});
    routeRuntimeWarnings();
    for (let i = 0; i < 3; i++) process.emitWarning('this runtime is old', { type: 'NodeVersionSupportWarning', code: 'X1' });
    process.emitWarning('another', { type: 'DeprecationWarning', code: 'DEP9' });
    await new Promise((done) => setTimeout(done, 20));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.equal(child.status, 0, child.stderr);
  const lines = child.stderr.trim().split('\n');
  const records = lines.map((line) => JSON.parse(line) as { level: number; warning: { name: string; code: string; message: string } });
  assert.deepEqual(records.map((record) => [record.level, record.warning.name, record.warning.code]), [
    [40, 'NodeVersionSupportWarning', 'X1'],
    [40, 'DeprecationWarning', 'DEP9'],
  ]);
});
