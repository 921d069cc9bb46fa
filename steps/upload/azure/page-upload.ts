import { AnonymousCredential, PageBlobClient } from '@azure/storage-blob';
import { OsimageError } from '../../../pipeline/errors.js';
import { blocksWithData } from '../data-map.js';
import type { UploadSource } from './vhd-source.js';

/** The largest write a page blob takes in one request (Put Page). */
export const PAGE_CHUNK = 4 * 1024 * 1024;
const SECTOR = 512;
const ZERO_CHUNK = Buffer.alloc(PAGE_CHUNK);

export interface PageUploadOptions {
  /** Chunks in flight at once; memory is concurrency × 4 MiB. */
  concurrency: number;
  /** Tries per chunk, with exponential back-off, before the upload fails. */
  maxTries: number;
  signal?: AbortSignal;
  /** Called after every chunk. */
  onProgress?: (progress: PageUploadProgress) => void;
}

export interface PageUploadProgress {
  /** Bytes written to the blob. */
  sentBytes: number;
  /** Bytes not sent because they were zero (a new page blob reads as zeros). */
  skippedBytes: number;
  totalBytes: number;
}

/**
 * Writes `source` into the existing page blob at `sasUrl` (a managed disk opened for upload), in chunks of at most
 * 4 MiB with bounded concurrency. A new page blob reads as zeros, so zero chunks are skipped and zero sectors at the
 * ends of a chunk are trimmed: a sparse image sends only its data. The SAS URL is a secret; errors never carry it.
 */
export async function uploadPages(source: UploadSource, sasUrl: string, options: PageUploadOptions): Promise<PageUploadProgress> {
  if (source.size % SECTOR !== 0) throw new RangeError(`a page blob takes whole 512-byte pages; the source has ${source.size} bytes`);
  const blob = new PageBlobClient(sasUrl, new AnonymousCredential(), {
    retryOptions: { maxTries: options.maxTries, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
  });
  const progress: PageUploadProgress = { sentBytes: 0, skippedBytes: 0, totalBytes: source.size };
  const chunkCount = Math.ceil(source.size / PAGE_CHUNK);
  // Chunks the source's map puts no data in are zeros: skipped unread.
  const chunks = source.regions ? [...blocksWithData(source.regions, PAGE_CHUNK)] : Array.from({ length: chunkCount }, (_, index) => index);
  const chunkBytes = (chunk: number) => Math.min(PAGE_CHUNK, source.size - chunk * PAGE_CHUNK);
  progress.skippedBytes = source.size - chunks.reduce((sum, chunk) => sum + chunkBytes(chunk), 0);
  let next = 0;

  const worker = async () => {
    const buffer = Buffer.alloc(PAGE_CHUNK);
    while (next < chunks.length) {
      options.signal?.throwIfAborted();
      const offset = chunks[next++]! * PAGE_CHUNK;
      const chunk = buffer.subarray(0, Math.min(PAGE_CHUNK, source.size - offset));
      await source.read(offset, chunk);
      const [start, end] = nonZeroSpan(chunk);
      if (end > start) {
        try {
          await blob.uploadPages(chunk.subarray(start, end), offset + start, end - start, { abortSignal: options.signal });
        } catch (error) {
          throw withoutSecrets(error, `writing ${end - start} bytes at offset ${offset + start} of the disk failed`);
        }
      }
      progress.sentBytes += end - start;
      progress.skippedBytes += chunk.length - (end - start);
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, chunks.length)) }, worker));
  return progress;
}

/** The sector-aligned span of `chunk` that holds its non-zero bytes; empty (start = end) for an all-zero chunk. */
function nonZeroSpan(chunk: Buffer): [number, number] {
  if (chunk.equals(ZERO_CHUNK.subarray(0, chunk.length))) return [0, 0];
  const zeroSector = ZERO_CHUNK.subarray(0, SECTOR);
  let start = 0;
  while (chunk.subarray(start, start + SECTOR).equals(zeroSector)) start += SECTOR;
  let end = chunk.length;
  while (chunk.subarray(end - SECTOR, end).equals(zeroSector)) end -= SECTOR;
  return [start, end];
}

/** An upload error with its status and code, but no request, URL or headers that could carry the SAS token. */
function withoutSecrets(error: unknown, what: string): Error {
  if (error instanceof Error && error.name === 'AbortError') return error;
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  const reason = [statusCode && `HTTP ${statusCode}`, code, redactUrls(String(message ?? error))].filter(Boolean).join(' ');
  return new OsimageError(`${what}: ${reason}`, 'run the same command again: the upload starts over on a fresh disk');
}

/** Drops the query string of every URL in a text: a SAS token lives there. */
export function redactUrls(text: string): string {
  return text.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, '$1?[redacted]');
}
