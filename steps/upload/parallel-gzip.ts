import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCallback } from 'node:zlib';

/**
 * gzip on every core, the way pigz does it: the input is cut into blocks, each block is deflated on its own (zlib's
 * asynchronous calls run on the thread pool, several at once), primed with the 32 KiB before it as the dictionary
 * and ended with a sync flush, so the pieces join into one deflate stream. The output is a single ordinary gzip
 * member (what `gzip`, GCE's image import and every inflater read), not concatenated members. The CRC-32 is computed
 * in order on the way in. Memory is the blocks in flight.
 */

/** Input per block: big enough that the sync-flush marker (5 bytes) and a lost dictionary edge cost nothing. */
const BLOCK = 1024 * 1024;
const WINDOW = 32 * 1024;
/** Blocks compressed at once: more than the thread pool's four threads, to keep them fed. */
const IN_FLIGHT = 8;
/** gzip header: deflate, no flags, no time, no extra flags, OS Unix; the same bytes zlib's gzip writes here. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
const deflateRaw = promisify(deflateRawCallback);

export async function* gzipInParallel(source: AsyncIterable<Buffer>, level = 6): AsyncGenerator<Buffer> {
  yield HEADER;
  const pending: Promise<Buffer>[] = [];
  let crc = 0;
  let size = 0;
  let dictionary: Buffer | undefined;
  let parts: Buffer[] = [];
  let filled = 0;

  const dispatch = (last: boolean) => {
    const input = Buffer.concat(parts, filled);
    parts = [];
    filled = 0;
    crc = crc32(input, crc);
    size += input.length;
    const deflated = deflateRaw(input, { level, dictionary, finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH });
    // Awaited in turn; until then a failure must not count as unhandled.
    deflated.catch(() => undefined);
    pending.push(deflated);
    dictionary = (input.length >= WINDOW || !dictionary ? input : Buffer.concat([dictionary, input])).subarray(-WINDOW);
  };

  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(BLOCK - filled, chunk.length - at);
      parts.push(chunk.subarray(at, at + take));
      filled += take;
      at += take;
      if (filled < BLOCK) continue;
      dispatch(false);
      while (pending.length >= IN_FLIGHT) yield await pending.shift()!;
    }
  }
  dispatch(true);
  while (pending.length > 0) yield await pending.shift()!;

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}
