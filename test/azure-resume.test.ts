import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AzureWorld, RESOURCE_GROUP, SUBSCRIPTION, type RunInput, type StepRun } from './support/azure-world.js';
import { sparseImage } from './support/sparse-image.js';
import type { Fault, RequestMatch } from './fakes/arm/server.js';

/**
 * A run that fails at each step of the Azure upload, then a rerun: the rerun finishes, and leaves exactly one image
 * version and no temporary disk behind. Each scenario has its own version (and gallery, for the gallery steps), so
 * all of them run in one child process.
 */
const MiB = 1024 * 1024;
const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
const PROVIDER = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute`;

interface Scenario {
  step: string;
  version: string;
  gallery?: string;
  fault: (world: AzureWorld, disk: string) => void;
  /** What the failed run says. */
  error: RegExp;
  /** How often a disk of this name was closed after an upload, over both runs (the fake notes each close). */
  uploads: number;
}

const inject = (match: RequestMatch, fault: Fault) => (world: AzureWorld) => world.arm.inject(match, fault);
const rejected: Fault = { kind: 'error', status: 400, code: 'InjectedFailure' };

const scenarios: Scenario[] = [
  { step: 'create the gallery', version: 'v1.0.1', gallery: 'resume_gallery', fault: inject({ method: 'PUT', path: /\/galleries\/resume_gallery$/ }, rejected), error: /creating gallery resume_gallery failed: HTTP 400 InjectedFailure/, uploads: 1 },
  { step: 'create the definition', version: 'v1.0.2', gallery: 'resume_definition', fault: inject({ method: 'PUT', path: /\/galleries\/resume_definition\/images\/os-cvm$/ }, rejected), error: /creating image definition os-cvm failed/, uploads: 1 },
  { step: 'create the disk', version: 'v1.0.3', fault: (world, disk) => world.arm.inject({ method: 'PUT', path: new RegExp(`/disks/${disk}$`) }, { kind: 'fail-operation' }), error: /creating disk osimage-cvm-1\.0\.3 failed: .*InternalOperationError/, uploads: 1 },
  { step: 'open the disk', version: 'v1.0.4', fault: (world, disk) => world.arm.inject({ method: 'POST', path: new RegExp(`/disks/${disk}/begingetaccess$`) }, rejected), error: /opening disk osimage-cvm-1\.0\.4 for upload failed/, uploads: 1 },
  { step: 'upload the pages', version: 'v1.0.5', fault: (world, disk) => world.arm.compute.handOutReadOnlySas(disk), error: /at offset \d+ of the disk failed: HTTP 403/, uploads: 2 },
  { step: 'close the disk', version: 'v1.0.6', fault: (world, disk) => world.arm.inject({ method: 'POST', path: new RegExp(`/disks/${disk}/endgetaccess$`) }, { kind: 'fail-operation' }), error: /closing disk osimage-cvm-1\.0\.6 after upload failed/, uploads: 2 },
  { step: 'create the version', version: 'v1.0.7', fault: inject({ method: 'PUT', path: /\/versions\/1\.0\.7$/ }, rejected), error: /creating image version os-cvm\/1\.0\.7 failed: HTTP 400/, uploads: 1 },
  { step: 'delete the disk', version: 'v1.0.8', fault: (world, disk) => world.arm.inject({ method: 'DELETE', path: new RegExp(`/disks/${disk}$`) }, rejected), error: /deleting disk osimage-cvm-1\.0\.8 failed/, uploads: 1 },
];

let world: AzureWorld;
const outcomes = new Map<string, [StepRun, StepRun]>();

const diskOf = (scenario: Scenario) => `osimage-cvm-${scenario.version.slice(1)}`;

before(async () => {
  world = await AzureWorld.start();
  const image = join(world.dir, 'os.raw');
  await sparseImage(image, 24 * MiB, [[MiB, Buffer.from('osimage')]]);
  const runs: RunInput[] = [];
  for (const scenario of scenarios) {
    scenario.fault(world, diskOf(scenario));
    const input = {
      config: world.config({ securityTypes: ['cvm'], gallery: scenario.gallery ?? 'osimage_test' }),
      version: scenario.version,
      commit: COMMIT,
      image,
      stateDir: join(world.dir, scenario.version),
    };
    runs.push(input, input);
  }
  const result = await world.run(...runs);
  for (const pattern of AzureWorld.secretPatterns) assert.doesNotMatch(result.stderr, pattern, 'a secret reached the logs');
  scenarios.forEach((scenario, index) => outcomes.set(scenario.step, [result.runs[2 * index]!, result.runs[2 * index + 1]!]));
});
after(async () => {
  await world?.stop();
});

for (const scenario of scenarios) {
  test(`a rerun after a failure to ${scenario.step} finishes without duplicates`, () => {
    const [failed, rerun] = outcomes.get(scenario.step)!;
    assert.notEqual(failed.code, 0, 'the injected failure did not fail the run');
    assert.match(failed.error!, scenario.error);
    assert.equal(rerun.code, 0, `the rerun failed: ${rerun.error}`);
    const name = scenario.version.slice(1);
    const id = `${PROVIDER}/galleries/${scenario.gallery ?? 'osimage_test'}/images/os-cvm/versions/${name}`;
    assert.deepEqual(rerun.result, { cvm: id });
    assert.equal(world.arm.compute.get(id)?.properties.provisioningState, 'Succeeded');
    assert.equal(world.arm.requests.filter((request) => request === `PUT ${id}`).length, scenario.step === 'create the version' ? 2 : 1);
    assert.equal(world.arm.compute.get(`${PROVIDER}/disks/${diskOf(scenario)}`), undefined, 'the temporary disk was left behind');
    // A disk that may hold part of an upload is never trusted: it is closed and uploaded again.
    const uploads = world.arm.compute.uploads.filter((upload) => upload.disk === diskOf(scenario));
    assert.equal(uploads.length, scenario.uploads);
    assert.equal(uploads.at(-1)!.writtenBytes, 512 + 512, 'the last upload sent the data sector and the footer');
    // revokeAccess runs also when the upload fails: the fake saw the failed disk closed with nothing written.
    if (scenario.step === 'upload the pages') assert.equal(uploads[0]!.writtenBytes, 0);
  });
}
