import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { stubCommandLine } from '../steps/measure/pcrs.js';
import { stubCpio } from '../steps/measure/stub-cpio.js';
import { tempDir } from './measure-fixtures.js';

const run = promisify(execFile);

test('the command line is what systemd-stub makes of .cmdline: control characters to spaces, trailing spaces cut', () => {
  assert.equal(stubCommandLine(Buffer.from('console=ttyS0 quiet\n')), 'console=ttyS0 quiet');
  assert.equal(stubCommandLine(Buffer.from('root=/dev/vda2\nro  \r\n\0\0\0')), 'root=/dev/vda2 ro');
  assert.equal(stubCommandLine(Buffer.from('a\tb\0ignored after the NUL')), 'a b');
});

test("systemd-stub's generated cpio unpacks with GNU cpio to /.extra/<file>, read-only, padded to 4 bytes", async (t) => {
  const dir = await tempDir(t);
  const content = Buffer.from('-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n');
  const archive = stubCpio('tpm2-pcr-public-key.pem', content);
  assert.equal(archive.length % 4, 0, 'the stub appends archives back to back, so each is 4-byte aligned');
  await writeFile(join(dir, 'a.cpio'), archive);
  const { stdout } = await run('sh', ['-c', 'cpio -itv < a.cpio 2>/dev/null', 'sh'], { cwd: dir });
  assert.match(stdout, /^dr-xr-xr-x .* \.extra$/m);
  assert.match(stdout, /^-r--r--r-- .* \.extra\/tpm2-pcr-public-key\.pem$/m);
  await run('sh', ['-c', 'cpio -id --quiet < a.cpio'], { cwd: dir });
  assert.deepEqual(await readFile(join(dir, '.extra/tpm2-pcr-public-key.pem')), content);
});
