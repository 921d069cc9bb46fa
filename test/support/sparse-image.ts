import { open, writeFile } from 'node:fs/promises';

/** Writes a sparse raw image of `size` bytes with `data` at each offset; the rest is a hole and reads as zeros. */
export async function sparseImage(path: string, size: number, data: Array<[offset: number, bytes: Buffer]>): Promise<void> {
  await writeFile(path, '');
  const file = await open(path, 'r+');
  try {
    await file.truncate(size);
    for (const [offset, bytes] of data) await file.write(bytes, 0, bytes.length, offset);
  } finally {
    await file.close();
  }
}
