import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { parseManifest } from '../../discovery/manifest.js';
import { parseMeasurements } from '../../discovery/measurements-file.js';
import { verifySignature } from '../../discovery/signature.js';
import { isRelease, parseUid } from '../../discovery/version.js';
import type { ObjectStore } from '../../pipeline/store/object-store.js';

/**
 * Checks that the publication of `uid` in `store` is complete and of one image: the table names a raw image whose
 * bytes are `imagePath`'s, the measurements are those of that image (`expectedYaml`), every signature verifies, the
 * signed manifest names this table, versions.json lists the uid, and (in a file store at `fileRoot`) no temporary
 * file or lock is left.
 */
export async function assertPublishedWhole(
  store: ObjectStore,
  uid: string,
  { imagePath, publicBaseUrl, publicKey, expectedYaml, fileRoot }: { imagePath: string; publicBaseUrl: string; publicKey: string; expectedYaml?: string; fileRoot?: string },
): Promise<void> {
  const table = await store.get(`images/${uid}.json`);
  assert.ok(table, `images/${uid}.json is missing`);
  const signature = await store.get(`images/${uid}.json.sig`);
  assert.ok(signature && verifySignature(table.body, signature.body.toString(), publicKey), 'the table signature does not verify');
  const rawKey = (JSON.parse(table.body.toString()) as { qemu: string }).qemu.slice(`${publicBaseUrl}/`.length);
  const raw = await store.get(rawKey);
  const image = await readFile(imagePath);
  assert.ok(raw?.body.equals(image), `${rawKey} does not hold the image the table was published with`);
  assert.equal(raw!.metadata['osimage-digest'], createHash('sha256').update(image).digest('hex'));
  const measurements = await store.get(`measurements/qemu/${uid}/measurements.yaml`);
  assert.ok(measurements, 'the measurements are missing');
  assert.equal(parseMeasurements(measurements.body.toString()).image, uid);
  if (expectedYaml !== undefined) assert.equal(measurements.body.toString(), expectedYaml, 'the measurements are of another image');
  const measurementsSig = await store.get(`measurements/qemu/${uid}/measurements.yaml.sig`);
  assert.ok(measurementsSig && verifySignature(measurements.body, measurementsSig.body.toString(), publicKey), 'the measurements signature does not verify');
  const manifest = parseManifest((await store.get('images/manifest.json'))!.body, 'manifest', publicKey);
  assert.equal(manifest.tables[uid], createHash('sha256').update(table.body).digest('hex'), 'the manifest does not name this table');
  const index = JSON.parse((await store.get('images/versions.json'))!.body.toString()) as { releases: string[]; pseudo: string[] };
  assert.ok((isRelease(parseUid(uid).version) ? index.releases : index.pseudo).includes(uid), 'versions.json does not list the uid');
  if (fileRoot !== undefined) {
    const leftovers = (await readdir(fileRoot, { recursive: true })).filter((path) => /(^|\/)\.tmp-|\.lock$/.test(path));
    assert.deepEqual(leftovers, [], 'temporary files or locks are left in the store');
  }
}
