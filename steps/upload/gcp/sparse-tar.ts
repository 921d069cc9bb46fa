import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { DataMap, DataRegion } from '../data-map.js';
import { gzipInParallel } from '../parallel-gzip.js';

/**
 * Packs one raw disk image as a sparse entry (GNU `oldgnu` format, type 'S') of a tar archive, the format GCE's
 * image import reads (`disk.raw` inside a `.tar.gz`). A disk image is mostly zeros, so the archive stores only the
 * data regions plus a map of where they go, like `tar --format=oldgnu -S`.
 *
 * The header must carry the whole map before any data: the map comes first (data-map.ts: the file system's extents,
 * zeros inside them dropped), then only the data regions are read and streamed. Memory stays bounded by the read
 * buffer and the map; no temporary file is written.
 */

const BLOCK = 512;
const READ_SIZE = 1024 * 1024;
/** Sparse entries in the main header and in each extension header (GNU tar's layout). */
const HEADER_SPARSE_SLOTS = 4;
const EXTENSION_SPARSE_SLOTS = 21;

/** Data regions in file order (the bytes between them, and after the last, are zeros) and the size. */
export type SparseMap = Pick<DataMap, 'regions' | 'size'>;

export interface SparseTarOptions {
  /** The name inside the archive; GCE wants `disk.raw`. */
  entryName?: string;
  /** Extract to this size (≥ the file's): the extra bytes are a trailing hole, free in the archive. */
  paddedSize?: number;
  signal?: AbortSignal;
  /** Called with the image bytes archived so far (data regions only; holes cost nothing). */
  onProgress?: (dataBytes: number) => void;
}

/**
 * The archive as a stream of uncompressed tar bytes: headers, the data regions, padding and the end-of-archive
 * blocks. Data is read from the image on demand, so a slow consumer holds back the reads.
 */
export function sparseTarStream(path: string, map: SparseMap, options: SparseTarOptions = {}): Readable {
  const size = Math.max(map.size, options.paddedSize ?? 0);
  return Readable.from(tarBytes(path, { regions: map.regions, size }, options), { objectMode: false });
}

/**
 * The archive gzipped on every core (one gzip member, pigz-style): what is uploaded. The gzip header carries no
 * time, so the output is stable.
 */
export function sparseTarGzStream(path: string, map: SparseMap, options: SparseTarOptions = {}): Readable {
  const size = Math.max(map.size, options.paddedSize ?? 0);
  return Readable.from(gzipInParallel(tarBytes(path, { regions: map.regions, size }, options)), { objectMode: false });
}

async function* tarBytes(path: string, map: SparseMap, options: SparseTarOptions): AsyncGenerator<Buffer> {
  const entries = sparseEntries(map);
  const stored = map.regions.reduce((sum, region) => sum + region.length, 0);
  // The modification time is fixed (the epoch), so that the same image always gives the same archive.
  yield* headerBlocks(options.entryName ?? basename(path), entries, stored, map.size, new Date(0));
  const file = await open(path, 'r');
  try {
    let archived = 0;
    for await (const chunk of regionBytes(file, map.regions, options.signal)) {
      archived += chunk.length;
      options.onProgress?.(archived);
      yield chunk;
    }
  } finally {
    await file.close();
  }
  const tail = stored % BLOCK === 0 ? 0 : BLOCK - (stored % BLOCK);
  // Two zero blocks end the archive.
  yield Buffer.alloc(tail + 2 * BLOCK);
}

/**
 * The map as GNU tar writes it: the data regions, and when the file ends in a hole (or is all hole), a last
 * zero-length entry at the end so that the extracted file gets its full size.
 */
function sparseEntries(map: SparseMap): DataRegion[] {
  const last = map.regions.at(-1);
  const end = last ? last.offset + last.length : 0;
  return end < map.size || !last ? [...map.regions, { offset: map.size, length: 0 }] : map.regions;
}

async function* regionBytes(file: FileHandle, regions: DataRegion[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const region of regions) {
    for (let done = 0; done < region.length; ) {
      signal?.throwIfAborted();
      // A fresh buffer per chunk: the consumer (gzip) may still hold the previous one.
      const chunk = Buffer.allocUnsafe(Math.min(READ_SIZE, region.length - done));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, region.offset + done);
      if (bytesRead === 0) throw new Error('the image shrank while it was archived');
      done += bytesRead;
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
  }
}

/** The oldgnu header with the first four map entries, then extension blocks of 21 entries each. */
function* headerBlocks(name: string, entries: DataRegion[], stored: number, size: number, mtime: Date): Generator<Buffer> {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 99) throw new Error(`tar entry name "${name}" is longer than 99 bytes`);
  const header = Buffer.alloc(BLOCK);
  nameBytes.copy(header, 0);
  writeNumber(header, 100, 8, 0o644);
  writeNumber(header, 108, 8, 0);
  writeNumber(header, 116, 8, 0);
  writeNumber(header, 124, 12, stored);
  writeNumber(header, 136, 12, Math.floor(mtime.getTime() / 1000));
  header.write('S', 156, 'latin1');
  // oldgnu magic: "ustar  \0" (magic and version run together).
  header.write('ustar  \0', 257, 'latin1');
  header.write('root', 265, 'latin1');
  header.write('root', 297, 'latin1');
  writeSparseEntries(header, 386, entries.slice(0, HEADER_SPARSE_SLOTS));
  header[482] = entries.length > HEADER_SPARSE_SLOTS ? 1 : 0;
  writeNumber(header, 483, 12, size);
  writeChecksum(header);
  yield header;
  for (let first = HEADER_SPARSE_SLOTS; first < entries.length; first += EXTENSION_SPARSE_SLOTS) {
    const extension = Buffer.alloc(BLOCK);
    writeSparseEntries(extension, 0, entries.slice(first, first + EXTENSION_SPARSE_SLOTS));
    extension[504] = first + EXTENSION_SPARSE_SLOTS < entries.length ? 1 : 0;
    yield extension;
  }
}

function writeSparseEntries(block: Buffer, at: number, entries: DataRegion[]): void {
  entries.forEach((entry, index) => {
    writeNumber(block, at + index * 24, 12, entry.offset);
    writeNumber(block, at + index * 24 + 12, 12, entry.length);
  });
}

/**
 * Octal digits and a NUL, as tar expects; values too big for the field (≥ 8 GiB in a 12-byte field) use GNU's
 * base-256 form: the high bit of the first byte set, then the value big-endian.
 */
function writeNumber(block: Buffer, at: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot store ${value} in a tar header`);
  const octal = value.toString(8);
  if (octal.length < width) {
    block.write(octal.padStart(width - 1, '0') + '\0', at, width, 'latin1');
    return;
  }
  let rest = BigInt(value);
  for (let index = width - 1; index > 0; index--) {
    block[at + index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[at] = 0x80;
}

/** The sum of all header bytes with the checksum field counted as spaces: six octal digits, NUL, space. */
function writeChecksum(header: Buffer): void {
  header.fill(' ', 148, 156, 'latin1');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}
