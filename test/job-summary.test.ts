import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseClouds } from '../scripts/cloud-matrix.js';
import { renderSummary } from '../scripts/job-summary.js';

const SCRIPT = fileURLToPath(new URL('../scripts/job-summary.js', import.meta.url));

test('the summary has the uid, a row per image reference and links to the published files', () => {
  const summary = renderSummary({
    uid: 'v2.2.0',
    baseUrl: 'https://cdn.example.com/',
    table: {
      aws: { 'us-east-1': 'ami-123', 'eu-west-1': 'ami-789' },
      azure: { cvm: '/subscriptions/s/versions/2.2.0' },
      qemu: 'https://cdn.example.com/raw/v2.2.0/qemu.raw',
    },
  });
  assert.equal(
    summary,
    [
      '## OS image release `v2.2.0`',
      '',
      '| Cloud | Variant | Image reference |',
      '| --- | --- | --- |',
      '| aws | us-east-1 | `ami-123` |',
      '| aws | eu-west-1 | `ami-789` |',
      '| azure | cvm | `/subscriptions/s/versions/2.2.0` |',
      '| qemu |  | `https://cdn.example.com/raw/v2.2.0/qemu.raw` |',
      '',
      'Published files:',
      '',
      '- [images/v2.2.0.json](https://cdn.example.com/images/v2.2.0.json)',
      '- [images/v2.2.0.json.sig](https://cdn.example.com/images/v2.2.0.json.sig)',
      '- [images/versions.json](https://cdn.example.com/images/versions.json)',
      '- [measurements/aws/v2.2.0/measurements.yaml](https://cdn.example.com/measurements/aws/v2.2.0/measurements.yaml)',
      '- [measurements/aws/v2.2.0/measurements.yaml.sig](https://cdn.example.com/measurements/aws/v2.2.0/measurements.yaml.sig)',
      '- [measurements/azure/v2.2.0/measurements.yaml](https://cdn.example.com/measurements/azure/v2.2.0/measurements.yaml)',
      '- [measurements/azure/v2.2.0/measurements.yaml.sig](https://cdn.example.com/measurements/azure/v2.2.0/measurements.yaml.sig)',
      '- [measurements/qemu/v2.2.0/measurements.yaml](https://cdn.example.com/measurements/qemu/v2.2.0/measurements.yaml)',
      '- [measurements/qemu/v2.2.0/measurements.yaml.sig](https://cdn.example.com/measurements/qemu/v2.2.0/measurements.yaml.sig)',
      '',
      '',
    ].join('\n'),
  );
});

test('without a public URL the keys are named; a reference cannot break the table', () => {
  const summary = renderSummary({ uid: 'v1.0.0', table: { gcp: { 'sev-es': 'a|b`c' } } });
  assert.ok(summary.includes('| gcp | sev-es | `a\\|b\'c` |'), summary);
  assert.ok(summary.includes('- `images/v1.0.0.json`'), summary);
});

test('a dry run says so and links nothing', () => {
  const summary = renderSummary({ uid: 'v1.0.0', table: {}, dryRun: true, baseUrl: 'https://cdn' });
  assert.equal(summary, '## OS image rehearsal (dry run, nothing published) `v1.0.0`\n\n');
});

test('the script reads the lookup table on stdin', async () => {
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(process.execPath, [SCRIPT, '--uid', 'v1.0.0', '--base-url', ''], (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin!.end('{"qemu":"https://cdn/raw/v1.0.0/qemu.raw"}\n');
  });
  assert.ok(output.includes('| qemu |  | `https://cdn/raw/v1.0.0/qemu.raw` |'), output);
});

test('the clouds input becomes the matrix, and bad names are refused', () => {
  assert.deepEqual(parseClouds('aws,azure,gcp,qemu'), ['aws', 'azure', 'gcp', 'qemu']);
  assert.deepEqual(parseClouds(' gcp , qemu '), ['gcp', 'qemu']);
  assert.throws(() => parseClouds(''), /no clouds given/);
  assert.throws(() => parseClouds('aws,AWS'), /unknown cloud "AWS"/);
  assert.throws(() => parseClouds('qemu,qemu'), /named twice/);
});
