import type { protos } from '@google-cloud/compute';
import { OsimageError } from '../../../pipeline/errors.js';
import { NO_GAX_RETRY, type GcpClients } from './clients.js';

export type GceOperation = protos.google.cloud.compute.v1.IOperation;

export interface WaitOptions {
  project: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Waits until a global operation is DONE and fails when it failed. GCE reports a failed write not as an HTTP error
 * but as a DONE operation with an `error` field, so this checks it rather than trusting that nothing was thrown.
 * `wait` holds each call for up to two minutes and may answer before the operation is done, hence the loop.
 */
export async function waitForOperation(clients: GcpClients, start: GceOperation, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let operation = start;
  while (operation.status !== 'DONE') {
    options.signal.throwIfAborted();
    if (Date.now() > deadline) {
      throw new OsimageError(
        `the GCE operation ${operation.name} (${operation.operationType} ${operation.targetLink}) is not done after ${Math.round(options.timeoutMs / 60_000)} minutes`,
        'it may still finish: run the same command again later, or raise gcp.timeouts',
      );
    }
    const name = operation.name!;
    const timeout = Math.min(150_000, Math.max(1_000, deadline - Date.now()));
    [operation] = await clients.compute('globalOperations.wait', () => clients.operations.wait({ project: options.project, operation: name }, { ...NO_GAX_RETRY, timeout }));
  }
  const errors = operation.error?.errors ?? [];
  if (errors.length > 0) {
    const messages = errors.map((error) => (error.code ? `${error.code}: ${error.message}` : error.message)).join('; ');
    throw new OsimageError(`the GCE operation ${operation.operationType} ${operation.targetLink} failed: ${messages}`);
  }
}
