/**
 * Azure upload: the raw image streamed as a fixed VHD (no copy) into a page blob, against the usual way, converting
 * with `qemu-img convert -O vpc` first and uploading the converted file. Both upload to Azurite with the same page
 * uploader; the figures are wall time, disk space the conversion needs, and the bytes sent for a sparse image.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { uploadPages } from '../steps/upload/azure/page-upload.js';
import { openFileSource, openVhdSource, type UploadSource } from '../steps/upload/azure/vhd-source.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../test/support/azurite.js';
import { sparseImage } from '../test/support/sparse-image.js';
import type { BenchRow } from './table.js';

const MiB = 1024 * 1024;
const IMAGE_SIZE = 4 * 1024 * MiB;
const DATA_CHUNKS = 32;

export async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-bench-azure-'));
  const azurite = await startAzurite();
  try {
    const raw = join(dir, 'os.raw');
    // A 4 GiB image with 32 scattered MiB of data, like a fresh OS image with a large empty partition.
    const data = Array.from({ length: DATA_CHUNKS }, (_, i): [number, Buffer] => [Math.floor((i * IMAGE_SIZE) / DATA_CHUNKS / MiB) * MiB, randomBytes(MiB)]);
    await sparseImage(raw, IMAGE_SIZE, data);
    const key = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
    const container = new BlobServiceClient(azurite.blobUrl, key).getContainerClient('bench');
    await container.createIfNotExists();
    const blobFor = async (name: string, size: number) => {
      await container.getPageBlobClient(name).create(size);
      const sas = generateBlobSASQueryParameters({ containerName: 'bench', blobName: name, permissions: BlobSASPermissions.parse('w'), expiresOn: new Date(Date.now() + 3600_000) }, key);
      return `${container.getPageBlobClient(name).url}?${sas}`;
    };
    const send = async (source: UploadSource, name: string) => {
      try {
        return await uploadPages(source, await blobFor(name, source.size), { concurrency: 8, maxTries: 3 });
      } finally {
        await source.close();
      }
    };

    let start = performance.now();
    const streamed = await send(await openVhdSource(raw), 'streamed.vhd');
    const streamedMs = performance.now() - start;

    start = performance.now();
    const converted = join(dir, 'os.vhd');
    await promisify(execFile)('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size', raw, converted]);
    const convertMs = performance.now() - start;
    const convertedBlocks = (await stat(converted)).blocks * 512;
    const baseline = await send(await openFileSource(converted), 'converted.vhd');
    const baselineMs = performance.now() - start;

    const gib = (bytes: number) => `${(bytes / 1024 / MiB).toFixed(2)} GiB`;
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(`image: ${gib(IMAGE_SIZE)} raw, ${mib(DATA_CHUNKS * MiB)} of data (sparse)`);
    console.log(`streamed VHD upload:           ${streamedMs.toFixed(0)} ms, sent ${mib(streamed.sentBytes)} of ${gib(streamed.totalBytes)}, no temporary file`);
    console.log(`qemu-img convert + upload:     ${baselineMs.toFixed(0)} ms (convert ${convertMs.toFixed(0)} ms), sent ${mib(baseline.sentBytes)}, temporary file ${gib(IMAGE_SIZE + 512)} (${mib(convertedBlocks)} allocated)`);
    console.log(`a full page upload would send: ${gib(streamed.totalBytes)}`);
    return [
      {
        what: `azure: ${gib(IMAGE_SIZE)}, ${mib(DATA_CHUNKS * MiB)} data, pages to Azurite`,
        ours: streamedMs / 1000,
        baseline: { what: 'qemu-img convert + upload', value: baselineMs / 1000 },
        sent: { bytes: streamed.sentBytes, against: DATA_CHUNKS * MiB },
      },
    ];
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
