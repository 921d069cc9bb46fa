import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../pipeline/errors.js';

/**
 * Positioned reads from a disk image or a byte range of it. The measurer reads only what it needs (the GPT, then the
 * ESP's boot sector, FAT sectors, directories and the boot chain files), so a 10 GiB image costs what its ESP costs.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; an error when the range runs past the end. */
  read(offset: number, length: number): Promise<Buffer>;
}

export interface ImageFile extends ByteSource {
  close(): Promise<void>;
}

export async function openImage(path: string): Promise<ImageFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputError(`cannot open the image ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const { size } = await handle.stat();
  return {
    size,
    read: async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new InputError(`the image ${path} is truncated: need bytes ${offset}..${offset + length}, it has ${size}`);
      }
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new InputError(`the image ${path} ended early at byte ${offset + done}`);
        done += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}

/** A window of `length` bytes at `offset` of another source (a partition of a disk). */
export function byteRange(source: ByteSource, offset: number, length: number, what: string): ByteSource {
  return {
    size: length,
    read: (at, count) => {
      if (at < 0 || count < 0 || at + count > length) {
        return Promise.reject(new InputError(`${what}: read of bytes ${at}..${at + count} runs past its end (${length} bytes)`));
      }
      return source.read(offset + at, count);
    },
  };
}
