import { randomBytes } from 'node:crypto';
import { open, truncate, writeFile } from 'node:fs/promises';

/**
 * A sparse image for the benchmarks: `regions` data regions of `regionBytes` each, spread evenly over `size`, each
 * half random bytes and half text (which deflates about 3:1), or all text when `random` is false, holes elsewhere,
 * like an OS image with an empty partition.
 */
export async function benchImage(path: string, size: number, layout: { regions: number; regionBytes: number; random?: boolean }): Promise<void> {
  await writeFile(path, '');
  await truncate(path, size);
  const file = await open(path, 'r+');
  try {
    const half = layout.random === false ? 0 : layout.regionBytes / 2;
    for (let index = 0; index < layout.regions; index++) {
      const offset = Math.floor((index * (size - layout.regionBytes)) / Math.max(1, layout.regions - 1) / 4096) * 4096;
      if (half > 0) await file.write(randomBytes(half), 0, half, offset);
      const rest = text(layout.regionBytes - half);
      await file.write(rest, 0, rest.length, offset + half);
    }
  } finally {
    await file.close();
  }
}

/** Text-like bytes: random words from a small vocabulary. */
export function text(length: number): Buffer {
  const words = Array.from({ length: 2000 }, (_, index) => `${index.toString(36)}${randomBytes(3).toString('base64url')}`);
  const out = Buffer.alloc(length);
  const picks = randomBytes(2 * Math.ceil(length / 4));
  for (let at = 0, pick = 0; at < length; pick = (pick + 2) % picks.length) at += out.write(`${words[picks.readUInt16LE(pick) % words.length]} `, at);
  return out;
}
