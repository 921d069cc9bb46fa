import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The image digest (DESIGN.md): the SHA-256 of a raw image's bytes, lower-case hex. It names "the same image" in the
 * journal, the results files, the stored objects' metadata and every cloud resource's tags; nothing made for one
 * digest is reused for another. Streamed in large chunks, so a multi-GiB image costs constant memory.
 */
export async function imageDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
