import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { redactUrls, uploadPages } from '../steps/upload/azure/page-upload.js';
import { openVhdSource } from '../steps/upload/azure/vhd-source.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from './support/azurite.js';
import { sparseImage } from './support/sparse-image.js';

const MiB = 1024 * 1024;
let azurite: Azurite;
let dir: string;
const key = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

before(async () => {
  [azurite, dir] = await Promise.all([startAzurite(), mkdtemp(join(tmpdir(), 'osimage-pages-'))]);
});
after(async () => {
  await Promise.all([azurite?.stop(), rm(dir, { recursive: true, force: true })]);
});

/** An empty page blob and a write-only SAS URL for it, as grantAccess hands out for a disk. */
async function pageBlob(name: string, size: number): Promise<{ sasUrl: string; read: () => Promise<Buffer>; writtenBytes: () => Promise<number> }> {
  const service = new BlobServiceClient(azurite.blobUrl, key);
  const container = service.getContainerClient('disks');
  await container.createIfNotExists();
  const blob = container.getPageBlobClient(name);
  await blob.create(size);
  const sas = generateBlobSASQueryParameters(
    { containerName: 'disks', blobName: name, permissions: BlobSASPermissions.parse('w'), expiresOn: new Date(Date.now() + 3600_000) },
    key,
  );
  return {
    sasUrl: `${blob.url}?${sas.toString()}`,
    read: () => blob.downloadToBuffer(),
    // Azurite keeps exactly the pages that were written: their sum is what the upload sent. The SDK reports a
    // range's count as end - start of an inclusive end, one byte short of its length.
    writtenBytes: async () => (await blob.getPageRanges()).pageRange!.reduce((sum, range) => sum + range.count! + 1, 0),
  };
}

test('a sparse image sends only its data, and the blob holds the exact VHD', async () => {
  const image = join(dir, 'sparse.raw');
  const data = randomBytes(MiB + 4096);
  await sparseImage(image, 40 * MiB, [[8 * MiB - 1024, data], [33 * MiB, Buffer.from('middle of a chunk')]]);
  const source = await openVhdSource(image);
  try {
    const blob = await pageBlob('sparse.vhd', source.size);
    const progress: number[] = [];
    const result = await uploadPages(source, blob.sasUrl, { concurrency: 3, maxTries: 2, onProgress: (p) => progress.push(p.sentBytes) });

    // The data straddles a chunk boundary (two trimmed spans), the text is one sector, the footer one sector.
    const expectedSent = data.length + 512 + 512;
    assert.equal(result.sentBytes, expectedSent);
    assert.equal(result.sentBytes + result.skippedBytes, source.size);
    assert.equal(await blob.writtenBytes(), expectedSent);
    // One report per chunk read: the chunks the data map puts data in (1, 2, 8 and the footer's 10), not all 11.
    assert.equal(progress.length, 4);

    const expected = Buffer.alloc(source.size);
    await source.read(0, expected);
    assert.ok((await blob.read()).equals(expected), 'the page blob differs from the VHD');
  } finally {
    await source.close();
  }
});

test('a failed write names the offset and status but never the SAS token', async () => {
  const image = join(dir, 'small.raw');
  await sparseImage(image, 2 * MiB, [[0, Buffer.from('boot')]]);
  const source = await openVhdSource(image);
  try {
    const blob = await pageBlob('small.vhd', source.size);
    const readOnly = blob.sasUrl.replace(/sp=w/, 'sp=r');
    await assert.rejects(uploadPages(source, readOnly, { concurrency: 2, maxTries: 1 }), (error: Error) => {
      assert.match(error.message, /at offset 0 of the disk failed: HTTP 403/);
      assert.doesNotMatch(error.message + String(error.stack), /sig=|sp=/);
      return true;
    });
  } finally {
    await source.close();
  }
});

test('URLs lose their query string in error text', () => {
  assert.equal(redactUrls('PUT https://a.blob.core.windows.net/c/b?sv=1&sig=abc failed'), 'PUT https://a.blob.core.windows.net/c/b?[redacted] failed');
});
