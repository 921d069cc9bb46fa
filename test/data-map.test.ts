import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { blocksWithData, findData } from '../steps/upload/data-map.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

describe('the data map of a raw image', () => {
  let dir: string;
  let sparse: string;
  let dense: string;
  // Data at 1 MiB (8 KiB, with a zero page inside: two regions), at 5 MiB + 100 (crosses a page) and in the last page.
  const expected = [
    { offset: MiB, length: 4096 },
    { offset: MiB + 8192, length: 4096 },
    { offset: 5 * MiB, length: 8192 },
    { offset: 16 * MiB - 4096, length: 4096 },
  ];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-data-map-'));
    sparse = join(dir, 'sparse.raw');
    await writeFile(sparse, '');
    await truncate(sparse, 16 * MiB);
    const file = await open(sparse, 'r+');
    await file.write(randomBytes(4096), 0, 4096, MiB);
    await file.write(randomBytes(4096), 0, 4096, MiB + 8192);
    await file.write(randomBytes(4096), 0, 4096, 5 * MiB + 100);
    await file.write(Buffer.from([1]), 0, 1, 16 * MiB - 1);
    await file.close();
    dense = join(dir, 'dense.raw');
    await writeFile(dense, await readFile(sparse));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes the extents from the file system and drops zero pages inside them', async () => {
    const map = await findData(sparse);
    assert.equal(map.source, 'seek-data');
    assert.equal(map.size, 16 * MiB);
    assert.deepEqual(map.regions, expected);
  });

  it('finds the same data in a copy with every zero written out', async () => {
    const { stdout } = await run('qemu-img', ['map', '--output=json', '-f', 'raw', dense]);
    assert.ok((JSON.parse(stdout) as { data: boolean }[]).every((entry) => entry.data), 'the copy has no holes');
    assert.deepEqual((await findData(dense)).regions, expected);
  });

  it('reads the whole file when qemu-img is not there to ask', async () => {
    const module = new URL('../steps/upload/data-map.js', import.meta.url).href;
    const script = `const { findData } = await import(${JSON.stringify(module)}); console.log(JSON.stringify(await findData(${JSON.stringify(sparse)})));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: '/nonexistent' } });
    const map = JSON.parse(stdout) as { source: string; regions: unknown };
    assert.equal(map.source, 'read');
    assert.deepEqual(map.regions, expected);
  });

  it('maps an empty file to no regions', async () => {
    const empty = join(dir, 'empty.raw');
    await writeFile(empty, '');
    assert.deepEqual(await findData(empty), { regions: [], size: 0, source: 'seek-data' });
  });

  it('names each block the regions touch once, in order', () => {
    assert.deepEqual([...blocksWithData(expected, 4 * MiB)], [0, 1, 3]);
    assert.deepEqual([...blocksWithData([{ offset: 10, length: 5 }, { offset: 20, length: 100 }], 64)], [0, 1]);
  });
});
