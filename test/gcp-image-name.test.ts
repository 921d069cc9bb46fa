import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GCE_NAME, imageName } from '../steps/upload/gcp/image-name.js';
import { imageLabels } from '../steps/upload/gcp/labels.js';
import { parseVersion } from '../discovery/version.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const OTHER_COMMIT = 'dd0de5c68d41f31dd0b284d574f137e0b0ad106b';

function assertGceName(name: string): void {
  assert.ok(name.length <= 63, `${name} has ${name.length} characters`);
  assert.match(name, GCE_NAME);
}

describe('GCE image names from uids', () => {
  it('keeps a release readable', () => {
    assert.equal(imageName('osimage', 'v2.2.0'), 'osimage-v2-2-0');
    assert.equal(imageName('osimage', 'v10.20.30'), 'osimage-v10-20-30');
  });

  it('is deterministic', () => {
    const uid = `v2.3.0-pre-debug-${COMMIT}`;
    assert.equal(imageName('osimage', uid), imageName('osimage', uid));
  });

  it('gives different, valid names to long branch suffixes that differ only after the cut', () => {
    const branch = 'feature-a-really-long-branch-name-that-goes-on-and-on-and-on';
    const uids = [
      `v2.3.0-pre-${branch}-one-${COMMIT}`,
      `v2.3.0-pre-${branch}-two-${COMMIT}`,
      `v2.3.0-pre-${branch}-one-${OTHER_COMMIT}`,
      `v2.3.0-pre-${branch}-${'x'.repeat(200)}-${COMMIT}`,
    ];
    const names = uids.map((uid) => imageName('osimage', uid));
    for (const name of names) assertGceName(name);
    assert.equal(new Set(names).size, uids.length, names.join('\n'));
    assert.ok(names[0]!.startsWith('osimage-v2-3-0-pre-feature-a-really-long'), names[0]);
  });

  it('keeps pseudo versions apart from releases whose dashes look alike', () => {
    const names = [imageName('osimage', 'v2.2.0'), imageName('osimage', `v2.2.0-pre-0-${COMMIT}`), imageName('osimage', `v2.2.0-pre-debug-${COMMIT}`)];
    for (const name of names) assertGceName(name);
    assert.equal(new Set(names).size, names.length);
  });

  it('never ends in a hyphen when the cut falls on one', () => {
    for (let length = 1; length < 60; length++) {
      const name = imageName('osimage', `v1.0.0-pre-${'a-'.repeat(length)}b-${COMMIT}`);
      assertGceName(name);
    }
  });
});

describe('GCE image labels', () => {
  it('are valid label values that identify uid, version and commit', () => {
    const version = parseVersion(`v2.3.0-pre-${'long-branch-'.repeat(8)}x`);
    const labels = imageLabels({ uid: `${version.text}-${COMMIT}`, version, commit: COMMIT });
    for (const value of Object.values(labels)) assert.match(value, /^[a-z0-9_-]{0,63}$/);
    assert.equal(labels['osimage-commit'], COMMIT);
    const other = imageLabels({ uid: `${version.text}-${OTHER_COMMIT}`, version, commit: OTHER_COMMIT });
    assert.notEqual(labels['osimage-uid'], other['osimage-uid'], 'cut uids still differ');
  });
});
