import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * Where a raw image's non-zero bytes lie, for every upload that sends only the data (GCP's sparse tar, Azure's pages,
 * AWS's stream-optimized VMDK). Two passes, each as cheap as the file system allows:
 *
 * 1. The file system's own map of data and holes (SEEK_DATA/SEEK_HOLE). Node has no binding for them, so the map
 *    comes from `qemu-img map`, which asks the kernel exactly that; without qemu-img, or when it fails, the whole
 *    file counts as data and pass 2 does all the work.
 * 2. Only the data extents are read, and zero runs inside them are dropped at page granularity: a non-sparse copy of
 *    an image (or a file system that cannot say) still yields only its data.
 *
 * Memory is the read buffer and the map; the holes are never read.
 */

export interface DataRegion {
  offset: number;
  length: number;
}

export interface DataMap {
  /** Non-zero data in file order, never touching each other; everything else reads as zeros. */
  regions: DataRegion[];
  size: number;
  /** How pass 1 learned the extents: `seek-data` (qemu-img map) or `read` (the whole file was read). */
  source: 'seek-data' | 'read';
}

/** Zero runs are found at this granularity: the page size, which is also where file systems put holes. */
export const SCAN_UNIT = 4096;
const READ_SIZE = 1024 * 1024;
const run = promisify(execFile);

export async function findData(path: string, signal?: AbortSignal): Promise<DataMap> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const extents = await fileSystemExtents(path, size, signal);
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    const zeros = Buffer.alloc(SCAN_UNIT);
    const regions: DataRegion[] = [];
    for (const extent of extents ?? [{ offset: 0, length: size }]) {
      const end = extent.offset + extent.length;
      for (let position = extent.offset; position < end; ) {
        signal?.throwIfAborted();
        const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, end - position), position);
        if (bytesRead === 0) throw new Error(`${path} shrank while it was read`);
        for (let start = 0; start < bytesRead; start += SCAN_UNIT) {
          const stop = Math.min(start + SCAN_UNIT, bytesRead);
          if (buffer.compare(zeros, 0, stop - start, start, stop) === 0) continue;
          const last = regions.at(-1);
          if (last && last.offset + last.length === position + start) last.length += stop - start;
          else regions.push({ offset: position + start, length: stop - start });
        }
        position += bytesRead;
      }
    }
    return { regions, size, source: extents ? 'seek-data' : 'read' };
  } finally {
    await file.close();
  }
}

/** Numbers of the `blockSize` blocks the regions touch, ascending, each once: the blocks worth reading. */
export function* blocksWithData(regions: readonly DataRegion[], blockSize: number): Generator<number> {
  let next = 0;
  for (const region of regions) {
    const end = Math.ceil((region.offset + region.length) / blockSize);
    for (let block = Math.max(next, Math.floor(region.offset / blockSize)); block < end; block++) yield block;
    next = Math.max(next, end);
  }
}

/** The bytes the map says are data. */
export function dataBytes(map: Pick<DataMap, 'regions'>): number {
  return map.regions.reduce((sum, region) => sum + region.length, 0);
}

interface QemuMapEntry {
  start: number;
  length: number;
  data: boolean;
}

/**
 * The allocated extents as the file system reports them, or undefined when it cannot be asked. `-U` (force-share):
 * the image is only read, so a lock another reader holds must not stop us.
 */
async function fileSystemExtents(path: string, size: number, signal?: AbortSignal): Promise<DataRegion[] | undefined> {
  if (size === 0) return [];
  let stdout: string;
  try {
    ({ stdout } = await run('qemu-img', ['map', '-U', '--output=json', '-f', 'raw', path], { signal, maxBuffer: 256 * 1024 * 1024 }));
  } catch {
    signal?.throwIfAborted();
    return undefined;
  }
  const entries = JSON.parse(stdout) as QemuMapEntry[];
  const extents: DataRegion[] = [];
  for (const entry of entries) {
    if (!entry.data) continue;
    const last = extents.at(-1);
    if (last && last.offset + last.length === entry.start) last.length += entry.length;
    else extents.push({ offset: entry.start, length: entry.length });
  }
  return extents;
}
