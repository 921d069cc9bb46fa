import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadDiscoverySettings } from '../config/discovery-settings.js';
import { topLevelScalars } from '../config/top-level-scalars.js';

const run = promisify(execFile);
const KEYS = ['publicBaseUrl', 'repository'];

describe('discovery settings without the YAML parser', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osimage-discovery-settings-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const plain = [
    'publicBaseUrl: https://images.example.com/osimage\n',
    'store:\n  url: s3://bucket\npublicBaseUrl: "https://a.example.com" # where consumers read\nrepository: \'https://r.example.com/x\'\n',
    '# a comment\n\npublicBaseUrl: file://.osimage/bucket\r\nsigning: { development: true }\n',
    'aws:\n  regions: [us-east-1]\n',
  ];
  for (const text of plain) {
    it(`reads what the YAML parser reads: ${JSON.stringify(text.slice(0, 40))}`, () => {
      const doc = parse(text) as Record<string, unknown>;
      const expected = Object.fromEntries(KEYS.filter((key) => key in doc).map((key) => [key, doc[key]]));
      assert.deepEqual(topLevelScalars(text, KEYS), expected);
    });
  }

  const notPlain = [
    '{ publicBaseUrl: https://a.example.com }\n',
    '---\npublicBaseUrl: https://a.example.com\n',
    'publicBaseUrl: https://a.example.com\n  /continued\n',
    'publicBaseUrl: &url https://a.example.com\n',
    'publicBaseUrl: "https://a.example.com/\\u0041"\n',
    'publicBaseUrl: |\n  https://a.example.com\n',
    'publicBaseUrl: https://a\npublicBaseUrl: https://b\n',
    '? publicBaseUrl\n: https://a.example.com\n',
  ];
  for (const text of notPlain) {
    it(`leaves to the YAML parser: ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.equal(topLevelScalars(text, KEYS), undefined);
    });
  }

  it('gives the same settings by either path, and checks them alike', async () => {
    const simple = join(dir, 'simple.yaml');
    const flow = join(dir, 'flow.yaml');
    await writeFile(simple, 'publicBaseUrl: https://a.example.com\nrepository: https://r.example.com\n');
    await writeFile(flow, '{ publicBaseUrl: https://a.example.com, repository: https://r.example.com }\n');
    const expected = { publicBaseUrl: 'https://a.example.com', repository: 'https://r.example.com' };
    assert.deepEqual(await loadDiscoverySettings(simple), expected);
    assert.deepEqual(await loadDiscoverySettings(flow), expected);
    for (const [name, text] of [['bad-plain', 'publicBaseUrl: ftp://x\n'], ['bad-flow', '{ publicBaseUrl: ftp://x }\n']]) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, text!);
      await assert.rejects(loadDiscoverySettings(file), (error: Error) => {
        assert.equal(error.message, `${file} is not a valid osimage config:\n  - publicBaseUrl: expected an https:// (or file://) URL`);
        return true;
      });
    }
  });

  it('loads neither yaml nor zod for the embedded config', async () => {
    const module = pathToFileURL(fileURLToPath(new URL('../config/discovery-settings.js', import.meta.url))).href;
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("MODULE " + r.url + "\\n"); return r; }',
    )}`;
    const script =
      `import { register } from 'node:module'; register(${JSON.stringify(hook)});` +
      `const { loadDiscoverySettings } = await import(${JSON.stringify(module)});` +
      `console.log(JSON.stringify(await loadDiscoverySettings()));`;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    assert.match(JSON.parse(stdout).publicBaseUrl, /^file:\/\/\/.*\.osimage\/bucket$/);
    const modules = stderr.split('\n').filter((line) => line.startsWith('MODULE '));
    assert.ok(modules.some((line) => line.includes('discovery-settings')), 'the hook saw the modules');
    assert.deepEqual(modules.filter((line) => /node_modules\/(yaml|zod)\//.test(line)), []);
  });
});
