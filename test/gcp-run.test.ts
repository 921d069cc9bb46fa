import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { osimage } from './support/cli.js';
import { workdir, writeConfig } from './support/workdir.js';
import { FakeGce } from './fakes/gce/server.js';
import { FakeGcs } from './fakes/gcs/server.js';

const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const TOKEN = 'ya29.run-test-token';

test('osimage run --csp gcp against the fakes publishes a lookup table with the gcp entry, throttled or not', async () => {
  const gcs = new FakeGcs(TOKEN, ['osimage-import']);
  await gcs.start();
  const gce = new FakeGce({ token: TOKEN, projects: ['osimage-test'], storageBaseUrl: gcs.baseUrl });
  await gce.start();
  // Google throttles now and then: the run goes on and its summary says how often it retried.
  gcs.faults.add({ kind: 'throttle', every: 4 });
  gce.faults.add({ kind: 'throttle', every: 4 });
  try {
    const dir = await workdir();
    const config = await writeConfig(
      dir,
      `
store: { url: file://.osimage/bucket }
publicBaseUrl: https://cdn.example.com
stateDir: .osimage/state
build:
  command: [node, $REPO/dist/scripts/make-sample-image.js, .osimage/images/gcp.raw]
  images: { gcp: .osimage/images/gcp.raw }
signing: { development: true }
gcp:
  project: osimage-test
  bucket: osimage-import
  family: osimage-debug
  public: true
  retry: { maxDelaySeconds: 0.05 }
  endpoints: { storage: ${gcs.baseUrl}, compute: ${gce.baseUrl} }
  accessToken: env:OSIMAGE_GCP_TOKEN
`,
    );
    const result = await osimage(['run', '--config', config, '--version', 'v2.3.0-pre-debug', '--commit', COMMIT, '--csp', 'gcp'], {
      cwd: dir,
      env: { OSIMAGE_GCP_TOKEN: TOKEN },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(!result.stderr.includes(TOKEN), 'the token never reaches the logs');
    const [name] = gce.imageNames('osimage-test');
    assert.ok(name);
    const reference = `projects/osimage-test/global/images/${name}`;
    assert.deepEqual(JSON.parse(result.stdout), { gcp: { 'sev-es': reference, 'sev-snp': reference } });
    const uid = `v2.3.0-pre-debug-${COMMIT}`;
    const published = JSON.parse(await readFile(join(dir, `.osimage/bucket/images/${uid}.json`), 'utf8'));
    assert.deepEqual(published, { gcp: { 'sev-es': reference, 'sev-snp': reference } });
    assert.equal(gce.image('osimage-test', name)?.status, 'READY');
    const summary = result.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line)).find((line) => line.retries);
    const throttled = gcs.faults.injected.throttle + gce.faults.injected.throttle;
    assert.ok(throttled > 0, 'the fakes throttled');
    assert.equal(summary?.retries.gcp, throttled, 'the run summary counts every retry');
    assert.match(summary.msg, new RegExp(`retried transient failures: ${throttled} gcp`));
  } finally {
    await gce.stop();
    await gcs.stop();
  }
});
