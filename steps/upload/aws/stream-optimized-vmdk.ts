import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { deflate as deflateCallback } from 'node:zlib';
import { blocksWithData, type DataMap } from '../data-map.js';

/**
 * A raw image as a stream-optimized VMDK (VMware "Virtual Disk Format 5.0", the streamOptimized layout), the format
 * ImportSnapshot takes as `VMDK` and CoreOS publishes for AWS. It carries only the data: each non-zero grain
 * (128 sectors, 64 KiB) is deflated on its own behind a grain marker, and the grain tables and the grain directory
 * follow the grains they describe, so the file is written front to back in one pass and streamed straight into the
 * multipart upload. No temporary file; memory is a few grains in flight.
 *
 * Layout: sparse extent header (grain directory "at end"), embedded descriptor, grains, after each grain table's
 * grains that table behind a GT marker, the grain directory behind a GD marker, the footer (the header again, now
 * with the grain directory's offset) behind a footer marker, and the end-of-stream marker.
 */

const SECTOR = 512;
/** Grain size in sectors, the format's default and what VMware writes. */
export const GRAIN_SECTORS = 128;
const GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
/** Grain table entries per table: each table covers 32 MiB. */
const GTES_PER_GT = 512;
const GT_SECTORS = (GTES_PER_GT * 4) / SECTOR;
/** The descriptor's room in sectors (what qemu-img reserves), and the metadata before the first grain: one grain. */
const DESCRIPTOR_SECTORS = 20;
const OVERHEAD_SECTORS = GRAIN_SECTORS;

const MAGIC = 0x564d444b; // "KDMV" on disk
const VERSION = 3;
const FLAG_VALID_NEWLINE_TEST = 1 << 0;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;
const GD_AT_END = 0xffffffffffffffffn;

const MARKER_EOS = 0;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;

/** Grains read and deflated at once: more than the thread pool's threads, so every core stays busy. */
const GRAINS_IN_FLIGHT = 16;
const deflate = promisify(deflateCallback);

export interface VmdkOptions {
  /** Eight hex digits identifying this disk's content (the descriptor's CID); the image digest's first eight. */
  contentId: string;
  /** The extent's file name in the descriptor. */
  extentName?: string;
  signal?: AbortSignal;
  /** Called with how far into the image packing has come (holes are skipped over, not read). */
  onProgress?: (imageBytes: number) => void;
}

/** The VMDK as a byte stream; the image is read as the consumer asks for more. */
export function streamOptimizedVmdk(path: string, map: DataMap, options: VmdkOptions): Readable {
  return Readable.from(vmdkBytes(path, map, options), { objectMode: false });
}

async function* vmdkBytes(path: string, map: DataMap, options: VmdkOptions): AsyncGenerator<Buffer> {
  if (!/^[0-9a-f]{8}$/.test(options.contentId)) throw new Error(`a VMDK content id is eight hex digits, not "${options.contentId}"`);
  const capacity = Math.ceil(map.size / SECTOR);
  const grainCount = Math.ceil(capacity / GRAIN_SECTORS);
  // Offsets in sectors, little-endian uint32 as on disk; an entry left 0 is a table (or grain) that holds no data.
  const directorySectors = Math.ceil((Math.ceil(grainCount / GTES_PER_GT) * 4) / SECTOR);
  const directory = Buffer.alloc(directorySectors * SECTOR);
  const header = (gdOffset: bigint) => sparseExtentHeader(capacity, gdOffset);

  const descriptor = Buffer.alloc((OVERHEAD_SECTORS - 1) * SECTOR);
  const text = descriptorText(capacity, options.contentId, options.extentName ?? 'disk.vmdk');
  if (text.length > DESCRIPTOR_SECTORS * SECTOR) throw new Error('the VMDK descriptor outgrew its sectors');
  descriptor.write(text, 0, 'latin1');
  yield header(GD_AT_END);
  yield descriptor;
  let sector = OVERHEAD_SECTORS;

  const file = await open(path, 'r');
  try {
    let table: Buffer | undefined;
    let tableIndex = -1;
    // Emits the grain table being filled, if it got any grain, and records it in the directory.
    const closeTable = function* (): Generator<Buffer> {
      if (!table) return;
      yield marker(GT_SECTORS, MARKER_GT);
      directory.writeUInt32LE(sector + 1, tableIndex * 4);
      yield table;
      sector += 1 + GT_SECTORS;
      table = undefined;
    };
    for await (const { grain, bytes } of deflatedGrains(file, map, options.signal)) {
      const index = Math.floor(grain / GTES_PER_GT);
      if (index !== tableIndex) {
        yield* closeTable();
        table = Buffer.alloc(GT_SECTORS * SECTOR);
        tableIndex = index;
      }
      table!.writeUInt32LE(sector, (grain % GTES_PER_GT) * 4);
      const block = grainBlock(grain * GRAIN_SECTORS, bytes);
      sector += block.length / SECTOR;
      options.onProgress?.(Math.min((grain + 1) * GRAIN_BYTES, map.size));
      yield block;
    }
    yield* closeTable();
  } finally {
    await file.close();
  }

  yield marker(directorySectors, MARKER_GD);
  const gdOffset = BigInt(sector + 1);
  yield directory;
  yield marker(1, MARKER_FOOTER);
  yield header(gdOffset);
  yield marker(0, MARKER_EOS);
  options.onProgress?.(map.size);
}

/** The most bytes the VMDK of an image of `size` bytes can take: every grain data, none of it compressible. */
export function vmdkMaxSize(size: number): number {
  const grains = Math.ceil(size / GRAIN_BYTES);
  const tables = Math.ceil(grains / GTES_PER_GT);
  // zlib's compressBound for one grain, behind its 12-byte marker, in whole sectors.
  const grainSectors = Math.ceil((12 + GRAIN_BYTES + (GRAIN_BYTES >> 12) + (GRAIN_BYTES >> 14) + 13) / SECTOR);
  const directorySectors = Math.ceil((tables * 4) / SECTOR);
  return (OVERHEAD_SECTORS + grains * grainSectors + tables * (1 + GT_SECTORS) + 1 + directorySectors + 3) * SECTOR;
}

/**
 * The grains that hold data, read and deflated a few at a time (zlib's asynchronous calls run on the thread pool)
 * and handed on in disk order. A grain is only read when the map puts data in it.
 */
async function* deflatedGrains(file: FileHandle, map: DataMap, signal?: AbortSignal): AsyncGenerator<{ grain: number; bytes: Buffer }> {
  const pending: Promise<{ grain: number; bytes: Buffer }>[] = [];
  const grains = blocksWithData(map.regions, GRAIN_BYTES);
  for (let next = grains.next(); ; ) {
    while (pending.length < GRAINS_IN_FLIGHT && !next.done) {
      signal?.throwIfAborted();
      const grain = readGrain(file, next.value, map.size);
      // Awaited in turn below; until then a failure must not count as unhandled (the first one awaited is thrown).
      grain.catch(() => undefined);
      pending.push(grain);
      next = grains.next();
    }
    const first = pending.shift();
    if (!first) return;
    yield await first;
  }
}

/** One grain, zero-filled past the end of the image (a compressed grain always inflates to a whole grain). */
async function readGrain(file: FileHandle, grain: number, size: number): Promise<{ grain: number; bytes: Buffer }> {
  const bytes = Buffer.alloc(GRAIN_BYTES);
  const start = grain * GRAIN_BYTES;
  const want = Math.min(GRAIN_BYTES, size - start);
  for (let done = 0; done < want; ) {
    const { bytesRead } = await file.read(bytes, done, want - done, start + done);
    if (bytesRead === 0) throw new Error('the image shrank while it was packed');
    done += bytesRead;
  }
  return { grain, bytes: await deflate(bytes) };
}

/** Grain marker (LBA, compressed size), the zlib stream, zeros to the next sector. */
function grainBlock(lba: number, compressed: Buffer): Buffer {
  const block = Buffer.alloc(Math.ceil((12 + compressed.length) / SECTOR) * SECTOR);
  block.writeBigUInt64LE(BigInt(lba), 0);
  block.writeUInt32LE(compressed.length, 8);
  compressed.copy(block, 12);
  return block;
}

/** A metadata marker: the sectors of metadata that follow, size 0, the type. */
function marker(sectors: number, type: number): Buffer {
  const block = Buffer.alloc(SECTOR);
  block.writeBigUInt64LE(BigInt(sectors), 0);
  block.writeUInt32LE(type, 12);
  return block;
}

/** SparseExtentHeader, little-endian and packed as the spec lays it out. */
function sparseExtentHeader(capacity: number, gdOffset: bigint): Buffer {
  const block = Buffer.alloc(SECTOR);
  block.writeUInt32LE(MAGIC, 0);
  block.writeUInt32LE(VERSION, 4);
  block.writeUInt32LE(FLAG_VALID_NEWLINE_TEST | FLAG_COMPRESSED | FLAG_MARKERS, 8);
  block.writeBigUInt64LE(BigInt(capacity), 12);
  block.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  block.writeBigUInt64LE(1n, 28); // descriptorOffset
  block.writeBigUInt64LE(BigInt(DESCRIPTOR_SECTORS), 36);
  block.writeUInt32LE(GTES_PER_GT, 44);
  block.writeBigUInt64LE(0n, 48); // rgdOffset: a stream has no redundant directory
  block.writeBigUInt64LE(gdOffset, 56);
  block.writeBigUInt64LE(BigInt(OVERHEAD_SECTORS), 64);
  block[72] = 0; // uncleanShutdown
  block.write('\n \r\n', 73, 'latin1'); // the newline-detection characters
  block.writeUInt16LE(COMPRESSION_DEFLATE, 77);
  return block;
}

/** The embedded descriptor, as qemu-img writes it with the options CoreOS uses (lsilogic, hardware version 6). */
function descriptorText(capacity: number, contentId: string, extentName: string): string {
  const heads = 255;
  const sectorsPerTrack = 63;
  return [
    '# Disk DescriptorFile',
    'version=1',
    `CID=${contentId}`,
    'parentCID=ffffffff',
    'createType="streamOptimized"',
    '',
    '# Extent description',
    `RW ${capacity} SPARSE "${extentName}"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "6"',
    `ddb.geometry.cylinders = "${Math.floor(capacity / (heads * sectorsPerTrack))}"`,
    `ddb.geometry.heads = "${heads}"`,
    `ddb.geometry.sectors = "${sectorsPerTrack}"`,
    'ddb.adapterType = "lsilogic"',
    '',
  ].join('\n');
}
