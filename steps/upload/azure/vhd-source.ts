import { open, type FileHandle } from 'node:fs/promises';
import { findData, type DataRegion } from '../data-map.js';
import { VHD_FOOTER_SIZE, vhdDiskSize, vhdFooter, type VhdFooterOptions } from './vhd-footer.js';

/**
 * Bytes to upload, read by range so that several pages can be read and sent at once with bounded memory. A fixed
 * VHD is never written to disk: its bytes are the raw image, zeros up to a whole MiB, and the footer.
 */
export interface UploadSource {
  readonly size: number;
  /** Where data may lie, when known; everything else reads as zeros and need not be read. */
  readonly regions?: readonly DataRegion[];
  /** Fills `target` with the bytes from `offset`; the range lies inside the source. */
  read(offset: number, target: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** The raw image at `path` seen as a fixed VHD (no copy is made), with the image's data map and the footer. */
export async function openVhdSource(path: string, footer: Omit<VhdFooterOptions, 'diskSize'> = {}, signal?: AbortSignal): Promise<UploadSource> {
  const map = await findData(path, signal);
  const file = await open(path, 'r');
  try {
    const rawSize = (await file.stat()).size;
    const diskSize = vhdDiskSize(rawSize);
    const footerBytes = vhdFooter({ ...footer, diskSize });
    return {
      size: diskSize + VHD_FOOTER_SIZE,
      regions: [...map.regions, { offset: diskSize, length: VHD_FOOTER_SIZE }],
      async read(offset, target) {
        // Three regions: the image, the zero padding up to diskSize, the footer.
        const end = offset + target.length;
        const fromFile = Math.max(0, Math.min(end, rawSize) - offset);
        if (fromFile > 0) await readFully(file, target.subarray(0, fromFile), offset);
        target.fill(0, fromFile);
        if (end > diskSize) {
          const footerStart = Math.max(offset, diskSize);
          footerBytes.copy(target, footerStart - offset, footerStart - diskSize, end - diskSize);
        }
      },
      close: () => file.close(),
    };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** A file as it is: the converted VHD that the benchmark's baseline uploads. */
export async function openFileSource(path: string): Promise<UploadSource> {
  const file = await open(path, 'r');
  const size = (await file.stat()).size;
  return { size, read: (offset, target) => readFully(file, target, offset), close: () => file.close() };
}

async function readFully(file: FileHandle, target: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await file.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new Error(`the file ended at ${position + done} bytes while reading ${target.length} bytes`);
    done += bytesRead;
  }
}
