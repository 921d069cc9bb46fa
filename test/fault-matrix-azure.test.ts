import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FaultPlan } from './fakes/faults.js';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION, type StepRun } from './support/azure-world.js';
import { sparseImage } from './support/sparse-image.js';

/**
 * The Azure column of the fault matrix: @azure/arm-compute against the fake ARM server, which throttles with 429,
 * Retry-After and ARM's error JSON, answers 503, drops connections after doing the work, and answers slowly. Each
 * scenario runs the step in a child process of its own (it trusts the test CA); each must complete, make each image
 * version and each disk upload once, and count every retry for the run summary.
 */
const MiB = 1024 * 1024;
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const PROVIDER = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute`;
const RETRY = { maxAttempts: 8, maxSeconds: 60, maxDelaySeconds: 0.05 };

const on = (method: string, path: RegExp): FaultPlan['match'] => (request) => request.method === method && path.test(request.path);
const OPERATION_POLL = on('GET', /\/operations\//);

interface Scenario {
  name: string;
  version: string;
  faults: FaultPlan[];
}

const scenarios: Scenario[] = [
  { name: 'throttling (429, Retry-After) on every 3rd request', version: 'v1.1.1', faults: [{ kind: 'throttle', every: 3 }] },
  {
    name: 'a burst of five 503s on an image version PUT and on operation polls',
    version: 'v1.1.2',
    faults: [{ kind: 'unavailable', times: 5, match: on('PUT', /\/versions\//) }, { kind: 'unavailable', times: 5, match: OPERATION_POLL }],
  },
  {
    name: 'answers lost after the disk and image version PUTs and a poll',
    version: 'v1.1.3',
    faults: [{ kind: 'reset', match: on('PUT', /\/disks\//) }, { kind: 'reset', match: on('PUT', /\/versions\//) }, { kind: 'reset', match: OPERATION_POLL }],
  },
  { name: 'answers that take 2 seconds', version: 'v1.1.4', faults: [{ kind: 'slow', delayMs: 2_000, match: OPERATION_POLL, times: 2 }] },
];

let world: AzureWorld;
const outcomes = new Map<string, { run: StepRun; injected: number; slow: number }>();

before(async () => {
  // ARM asks for whole seconds; 0 keeps the matrix fast while still going through the Retry-After path.
  world = await AzureWorld.start({ retryAfterSeconds: 0 });
  const image = join(world.dir, 'os.raw');
  await sparseImage(image, 8 * MiB, [[MiB, Buffer.from('osimage')]]);
  for (const scenario of scenarios) {
    world.arm.faults.clear();
    for (const plan of scenario.faults) world.arm.faults.add(plan);
    const config = world.config({ retry: RETRY });
    const { runs, stderr } = await world.run({ config, version: scenario.version, commit: COMMIT, image, stateDir: join(world.dir, scenario.version) });
    for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(stderr, pattern, 'a secret reached the logs');
    const { injected } = world.arm.faults;
    outcomes.set(scenario.name, { run: runs[0]!, injected: injected.throttle + injected.unavailable + injected.reset, slow: injected.slow });
  }
});
after(async () => {
  await world?.stop();
});

for (const scenario of scenarios) {
  test(`azure survives ${scenario.name}`, () => {
    const { run, injected, slow } = outcomes.get(scenario.name)!;
    assert.equal(run.code, 0, run.error);
    const name = scenario.version.slice(1);
    const ids = { cvm: `${PROVIDER}/galleries/osimage_test/images/os-cvm/versions/${name}`, trustedlaunch: `${PROVIDER}/galleries/osimage_test/images/os-tl/versions/${name}` };
    assert.deepEqual(run.result, ids);
    for (const [type, id] of Object.entries(ids)) {
      assert.equal(world.arm.compute.get(id)?.properties.provisioningState, 'Succeeded');
      const disk = `osimage-${type}-${name}`;
      assert.equal(world.arm.compute.uploads.filter((upload) => upload.disk === disk).length, 1, `one upload into ${disk}`);
      assert.equal(world.arm.compute.get(`${PROVIDER}/disks/${disk}`), undefined, 'no temporary disk left behind');
    }
    if (scenario.name.startsWith('answers that take')) assert.equal(slow, 2, 'the slow answers happened');
    else assert.ok(injected > 0, 'the faults happened');
    const retries = run.retries.azure ?? 0;
    // A PUT repeated after a lost answer may also meet its first operation still running (409), and wait for it.
    if (scenario.name.startsWith('answers lost')) assert.ok(retries >= injected, `${retries} retries for ${injected} faults`);
    else assert.equal(retries, injected, 'each injected fault cost exactly one retry, counted for the summary');
    assert.equal(run.logs.filter((line) => line.level === 20 && line.retry?.scope === 'azure').length, retries, 'each retry is logged at debug');
  });
}
