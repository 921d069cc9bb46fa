import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growTable } from '../steps/publish/grow-table.js';

const published = { aws: { 'us-east-1': 'ami-0123456789abcdef0' }, qemu: 'https://cdn.example.com/raw/v2.2.0/qemu.raw' };

test('a release grows by new regions and clouds', () => {
  const grown = growTable('v2.2.0', published, { aws: { 'eu-west-1': 'ami-0fedcba9876543210', 'us-east-1': 'ami-0123456789abcdef0' }, gcp: { 'sev-es': 'projects/p/global/images/i' } });
  assert.deepEqual(grown, {
    aws: { 'eu-west-1': 'ami-0fedcba9876543210', 'us-east-1': 'ami-0123456789abcdef0' },
    gcp: { 'sev-es': 'projects/p/global/images/i' },
    qemu: 'https://cdn.example.com/raw/v2.2.0/qemu.raw',
  });
});

test('a run that covers fewer clouds keeps the others', () => {
  assert.deepEqual(growTable('v2.2.0', published, { aws: { 'us-west-2': 'ami-0aaaaaaaaaaaaaaaa' } }).qemu, published.qemu);
});

test('a changed reference is a conflict that names it', () => {
  assert.throws(
    () => growTable('v2.2.0', published, { aws: { 'us-east-1': 'ami-0bbbbbbbbbbbbbbbb' }, qemu: 'https://elsewhere/qemu.raw' }),
    (error: Error & { exitCode: number }) => error.exitCode === 3 && /aws\.us-east-1, qemu/.test(error.message),
  );
});
