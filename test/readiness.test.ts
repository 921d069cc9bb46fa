import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { S3Store } from '../pipeline/store/s3-store.js';
import { startAwsWorld, BUCKET, COMMIT, type AwsWorld } from './aws-harness.js';
import { FakeEc2 } from './fakes/ec2/server.js';
import { writeSampleImage } from '../scripts/make-sample-image.js';
import { OSIMAGE, osimage } from './support/cli.js';
import { REPO, workdir, writeConfig } from './support/workdir.js';

/** The readiness report of a dry run and of `osimage check`, and the preflight that stops a real run, end to end. */

let world: AwsWorld;
let ec2: FakeEc2;
/** A bootable sample image, which the dry run measures for real. */
let image: string;
before(async () => {
  world = await startAwsWorld();
  image = join(world.dir, 'sample.raw');
  await writeSampleImage(image);
  ec2 = await FakeEc2.start({ s3: { endpoint: world.s3.endpoint, credentials: world.s3.credentials } });
});
after(async () => {
  await ec2.close();
  await world.close();
});

/** A release config with qemu, aws (one region disabled, one mistyped, no vmimport role) and gcp (no token). */
function releaseConfig(dir: string, regions = 'us-east-1, ap-east-1, eu-wset-1'): string {
  const region = (name: string) => `{ name: ${name}, ec2Endpoint: ${ec2.endpoint}, serviceQuotasEndpoint: ${world.account.endpoint} }`;
  return `
store: { url: file://${dir}/bucket }
publicBaseUrl: https://cdn.example.com
stateDir: ${dir}/state
images: { qemu: ${image}, aws: ${image}, gcp: ${image} }
signing: { development: true }
qemu: {}
aws:
  import: { region: us-east-1, bucket: ${BUCKET}, s3Endpoint: ${world.s3.endpoint}, forcePathStyle: true, checksums: false, iamEndpoint: ${world.account.endpoint}, roleName: no-such-role }
  regions: [${regions.split(', ').map(region).join(', ')}]
gcp:
  project: osimage-test
  bucket: osimage-test-images
  accessToken: env:OSIMAGE_TEST_GCP_TOKEN_UNSET
`;
}

test('a dry run prints a readiness report: every check of every cloud, the cause and fix of each failure; exit 1', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, releaseConfig(dir));
  const planOut = join(dir, 'plan.json');
  const result = await osimage(['run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT, '--dry-run', '--plan-out', planOut], { env: { NO_COLOR: '1' } });
  assert.equal(result.exitCode, 1, result.stderr);
  const report = result.stdout;
  assert.match(report, /^Readiness of v2\.2\.0 \(dry run: nothing was written\)/);
  assert.match(report, /store\n  ✔ the store file:\/\/.*\/bucket is readable/);
  assert.match(report, /aws\n  ✔ the AWS credentials work/);
  assert.match(report, /  ✘ region ap-east-1 exists and is enabled for the account\n      cause: ap-east-1 is an opt-in region .*\n      fix:   enable it/);
  assert.match(report, /  ✘ region eu-wset-1 exists .*\n.*\n      fix:   fix aws.regions in the config: did you mean eu-west-1\?/);
  assert.match(report, /  ✘ the VM Import service role no-such-role exists/);
  assert.match(report, /gcp\n  ✘ Google credentials are found \(gcp.accessToken\)\n      cause: .*OSIMAGE_TEST_GCP_TOKEN_UNSET/);
  assert.match(report, /Not ready: 4 checks failed; a real run would stop before its first write\.\n$/);
  assert.doesNotMatch(report, /\x1b\[/, 'NO_COLOR: no colour');
  assert.throws(() => JSON.parse(report), 'stdout is no lookup table');
  assert.match(result.stderr, /osimage: 4 readiness checks failed/);

  const plan = JSON.parse(await readFile(planOut, 'utf8'));
  assert.equal(plan.ready, false);
  assert.deepEqual(plan.sections.map((section: { scope: string }) => section.scope), ['store', 'aws', 'gcp', 'qemu']);
  assert.equal(plan.sections[1].checks.filter((check: { ok: boolean }) => !check.ok).length, 3);
  assert.deepEqual(await readdir(dir).then((names) => names.filter((name) => name === 'bucket')), [], 'nothing was published');
});

test('a passing dry run lists each cloud\'s writes and the planned references; exit 0', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, releaseConfig(dir, 'us-east-1, eu-west-1').replace('roleName: no-such-role', 'roleName: vmimport'));
  const planOut = join(dir, 'plan.json');
  const result = await osimage(['run', '--config', config, '--csp', ' AWS , qemu', '--version', 'v2.2.0', '--commit', COMMIT, '--dry-run', '--plan-out', planOut]);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /Plan \(a real run would do this, in this order\)\naws: 5 writes\n  1\. upload s3:\/\/import-bucket\/.*\n[^]*  → us-east-1: <planned>\n  → eu-west-1: <planned>\n/);
  assert.match(result.stdout, /\nqemu: 1 writes\n  1\. put file:\/\/.*\/raw\/v2\.2\.0\/qemu\.raw/);
  assert.match(result.stdout, /publish: 7 writes\n  1\. put file:\/\/.*measurements\/aws\/v2\.2\.0\/measurements\.yaml/);
  assert.match(result.stdout, /Ready: a real run would make \d+ writes\.\n$/);
  const plan = JSON.parse(await readFile(planOut, 'utf8'));
  assert.equal(plan.ready, true);
  assert.deepEqual(plan.sections.find((section: { scope: string }) => section.scope === 'aws').reference, { 'us-east-1': '<planned>', 'eu-west-1': '<planned>' });
});

test('a real run with a failed check stops before the build and any write, one line per problem with its fix', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, releaseConfig(dir));
  const before = ec2.requests.length;
  const result = await osimage(['run', '--config', config, '--version', 'v2.2.0', '--commit', COMMIT]);
  assert.equal(result.exitCode, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /osimage: 4 checks failed; nothing was written:\n  ✘ aws: region ap-east-1 exists and is enabled for the account: .*\n      fix: enable it/);
  assert.match(result.stderr, /  ✘ gcp: Google credentials are found/);
  assert.deepEqual(ec2.requests.slice(before).map((request) => request.action).filter((action) => !/^(Describe|Get)/.test(action)), []);
  const bucket = new S3Store({ bucket: BUCKET, region: 'us-east-1', endpoint: world.s3.endpoint, forcePathStyle: true, checksums: false });
  assert.deepEqual(await bucket.list(''), [], 'nothing was uploaded');
  bucket.client.destroy();
});

test('osimage check runs the preflight alone, as JSON too; exit 1 when a check failed', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, releaseConfig(dir));
  const result = await osimage(['check', '--config', config, '--csp', 'aws', '--json']);
  assert.equal(result.exitCode, 1, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ready, false);
  assert.deepEqual(report.sections.map((section: { scope: string }) => section.scope), ['store', 'aws']);
  const failed = report.sections[1].checks.filter((check: { ok: boolean }) => !check.ok);
  assert.ok(failed.every((check: { cause?: string; fix?: string }) => check.cause && check.fix));

  const fine = await writeConfig(dir, releaseConfig(dir, 'us-east-1').replace('roleName: no-such-role', 'roleName: vmimport'), 'fine.yaml');
  const passed = await osimage(['check', '--debug', '--config', fine, '--csp', 'aws', '--log-format', 'json'], { env: { FORCE_COLOR: '1' } });
  assert.equal(passed.exitCode, 0, passed.stderr);
  const logs = passed.stderr.trim().split('\n').map((line) => JSON.parse(line) as { time: string; http?: { method: string; url: string; status: number; ms: number } });
  assert.match(logs[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO times');
  const requests = logs.flatMap((line) => (line.http ? [line.http] : []));
  assert.ok(requests.some((request) => request.method === 'POST' && request.url === `${ec2.endpoint}/` && request.status === 200), JSON.stringify(requests));
  assert.ok(requests.every((request) => !request.url.includes('?') && typeof request.ms === 'number'));
  assert.match(passed.stdout, /\x1b\[32m✔\x1b\[39m the VM Import service role vmimport exists/);
  assert.match(passed.stdout, /Ready: every check passed\./);
});

test('under GitHub Actions logs are readable lines, a group per stage, warnings and errors as annotations', async () => {
  const dir = await workdir();
  const config = await writeConfig(dir, releaseConfig(dir));
  const result = await osimage(['run', '--config', config, '--csp', 'aws', '--version', 'v2.2.0', '--commit', COMMIT], { env: { GITHUB_ACTIONS: 'true' } });
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /^::group::preflight\n/);
  assert.match(result.stderr, /\n::endgroup::\n/);
  assert.match(result.stderr, /\n::error title=osimage::3 checks failed; nothing was written:%0A  ✘ aws: region ap-east-1/);
  assert.doesNotMatch(result.stderr, /^\{/m, 'no JSON lines');
  const bad = await osimage(['check', '--log-format', 'yaml']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /--log-format yaml .*expected one of pretty, github, json/);
  const level = await osimage(['check'], { env: { OSIMAGE_LOG_LEVEL: 'verbose' } });
  assert.equal(level.exitCode, 2);
  assert.match(level.stderr, /OSIMAGE_LOG_LEVEL=verbose: expected one of trace, debug, info/);
});

test('osimage --version prints the version; the embedded default works from any directory and ends with a summary', async () => {
  const version = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version;
  assert.equal((await osimage(['--version'])).stdout, `${version}\n`);
  const dir = await workdir();
  const result = await osimage(['run', '--version', 'v0.1.0-pre-anywhere', '--commit', COMMIT, '--log-format', 'github'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(JSON.parse(result.stdout).qemu, new RegExp(`^file://${dir}/\\.osimage/bucket/raw/v0\\.1\\.0-pre-anywhere-`));
  // The summary: where it went, what consumers read, the key that verifies it, the time.
  assert.match(
    result.stderr,
    /published v0\.1\.0-pre-anywhere-\w+ to qemu in \d+:\d\d\n  qemu   file:\/\/.*qemu\.raw\n  table  .*\.json \(signature: .*\.json\.sig\)\n  qemu measurements  .*measurements\.yaml .*\n  public key .*\n    -----BEGIN PUBLIC KEY-----\n/,
  );
});

test('one result contract: --output json (or --json) on the commands that print a result; config validate --config', async () => {
  const dir = await workdir();
  assert.equal((await osimage(['run', '--version', 'v0.1.0-pre-flags', '--commit', COMMIT], { cwd: dir })).exitCode, 0);
  const uid = await osimage(['uid', '--version', 'v0.1.0-pre-flags', '--commit', COMMIT, '--output', 'json']);
  assert.deepEqual(JSON.parse(uid.stdout), { uid: `v0.1.0-pre-flags-${COMMIT}`, version: 'v0.1.0-pre-flags', commit: COMMIT });
  assert.equal((await osimage(['uid', '--version', 'v0.1.0-pre-flags', '--commit', COMMIT, '--json'])).stdout, uid.stdout);
  const versions = await osimage(['versions', '--output', 'json'], { cwd: dir });
  assert.deepEqual(JSON.parse(versions.stdout), { releases: [], pseudo: [`v0.1.0-pre-flags-${COMMIT}`] });
  const lookup = await osimage(['lookup', `v0.1.0-pre-flags-${COMMIT}`, '--csp', 'qemu', '--output', 'json'], { cwd: dir });
  assert.equal(JSON.parse(lookup.stdout).uid, `v0.1.0-pre-flags-${COMMIT}`);
  // --image CSP=PATH, as for run and upload; the bare path with --csp still works.
  const paired = await osimage(['measure', '--image', `QEMU=${image}`, '--uid', 'v2.2.0']);
  assert.equal(paired.exitCode, 0, paired.stderr);
  assert.equal((await osimage(['measure', '--image', image, '--csp', 'qemu', '--uid', 'v2.2.0'])).stdout, paired.stdout);
  const conflict = await osimage(['measure', '--image', `aws=${image}`, '--csp', 'gcp']);
  assert.equal(conflict.exitCode, 2);
  assert.match(conflict.stderr, /name different clouds/);
  const validated = await osimage(['config', 'validate', '--config', join(REPO, 'config/release.example.yaml')]);
  assert.equal(validated.exitCode, 0, validated.stderr);
  assert.ok(JSON.parse(validated.stdout).aws);
});

test('an interrupt stops the whole build command, the processes it started too, and exits 130', async () => {
  const dir = await workdir();
  const pidFile = join(dir, 'child.pid');
  const config = await writeConfig(dir, `
store: { url: file://${dir}/bucket }
publicBaseUrl: file://${dir}/bucket
stateDir: ${dir}/state
build:
  command: [sh, -c, 'sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}; wait']
  images: { qemu: ${dir}/qemu.raw }
signing: { development: true }
qemu: {}
`);
  const child = spawn(process.execPath, [OSIMAGE, 'run', '--config', config, '--version', 'v0.1.0-pre-stop', '--commit', COMMIT], { env: { ...process.env, CI: 'true' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  let sleeper: number | undefined;
  while (sleeper === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    sleeper = await readFile(pidFile, 'utf8').then((text) => Number(text.trim()) || undefined, () => undefined);
  }
  child.kill('SIGINT');
  assert.equal(await closed, 130, stderr);
  // The build's own background process went with it: its group was stopped, not just its first process.
  const alive = () => {
    try {
      process.kill(sleeper!, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let wait = 0; wait < 40 && alive(); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(alive(), false, `the build's sleep (pid ${sleeper}) is still running`);
});
