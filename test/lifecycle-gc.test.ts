import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LifecycleWorld } from './support/lifecycle-world.js';

let world: LifecycleWorld;
let config: string;
const commit = (n: number) => String(n).repeat(8) + 'c0de5c68d41f31dd0b284d574f137e0b';

before(async () => {
  world = await LifecycleWorld.start();
  // The policy is cloud-agnostic (each uid goes as delete takes it), so qemu alone keeps the test quick.
  config = join(world.dir, 'qemu.yaml');
  await writeFile(
    config,
    `store: { url: s3://releases/published, endpoint: ${world.s3.endpoint}, forcePathStyle: true, checksums: false }
publicBaseUrl: https://cdn.example.com
stateDir: .osimage/state
journal: store
images: { qemu: images/os.raw }
signing: { development: true }
qemu: {}
gc: { keepPseudo: 1, keepPseudoDays: 0 }
`,
  );
});
after(() => world.stop());

async function publish(version: string, n: number): Promise<string> {
  const result = await world.cli(['run', '--config', config, '--version', version, '--commit', commit(n)]);
  assert.equal(result.exitCode, 0, result.stderr);
  return version.includes('-pre-') ? `${version}-${commit(n)}` : version;
}

async function index(): Promise<{ releases: string[]; pseudo: string[] }> {
  return JSON.parse((await world.store.get('images/versions.json'))!.body.toString('utf8'));
}

test('gc deletes exactly the pseudo versions the policy lets go, and those of gone branches, never a release', async () => {
  const [a1, a2, a3] = [await publish('v2.3.0-pre-topic', 1), await publish('v2.3.0-pre-topic', 2), await publish('v2.3.0-pre-topic', 3)];
  const b1 = await publish('v2.3.0-pre-feature-login', 4);
  const release = await publish('v2.2.0', 5);
  const before = await index();

  const young = await world.cli(['gc', '--config', config, '--keep-days', '30']);
  assert.equal(young.exitCode, 0, young.stderr);
  assert.match(young.stdout, /^gc: 0 pseudo versions to delete/, 'all are younger than 30 days');

  const plan = await world.cli(['gc', '--config', config, '--gone-branch', 'Feature/Login']);
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, /^gc: 3 pseudo versions to delete \(a dry run/);
  for (const uid of [a1, a2, b1]) assert.ok(plan.stdout.includes(`would delete (a dry run: --apply deletes) ${uid}`), `${uid} is planned:\n${plan.stdout}`);
  for (const uid of [a3, release]) assert.ok(!plan.stdout.includes(` ${uid}:`), `${uid} stays`);
  assert.match(plan.stdout, /# the branch feature-login is gone/);
  assert.deepEqual(await index(), before, 'the plan changes nothing');

  const applied = await world.cli(['gc', '--config', config, '--gone-branch', 'Feature/Login', '--apply']);
  assert.equal(applied.exitCode, 0, applied.stderr);
  assert.deepEqual(await index(), { releases: [release], pseudo: [a3] });
  const keys = await world.store.list('');
  for (const uid of [a1, a2, b1]) assert.ok(!keys.some((key) => key.includes(uid)), `nothing of ${uid} is left`);
  for (const uid of [a3, release]) assert.ok(keys.includes(`raw/${uid}/qemu.raw`) && keys.includes(`images/${uid}.json`), `${uid} keeps its files`);

  const again = await world.cli(['gc', '--config', config, '--apply']);
  assert.match(again.stdout, /^gc: 0 pseudo versions to delete/, 'the newest of each suffix stays');
});

test('gc rejects a bad --keep before it reads anything', async () => {
  const result = await world.cli(['gc', '--config', config, '--keep', '-1']);
  assert.equal(result.exitCode, 2);
});
