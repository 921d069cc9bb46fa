import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** How a long-running operation ends: its status document, and for a POST the body its Location answers with. */
export interface Outcome {
  status: 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  /** The result of a POST action (grantAccess: `{ accessSAS }`), served from the Location URL. */
  output?: unknown;
}

interface Operation {
  pollsLeft: number;
  finish: () => Promise<Outcome>;
  outcome?: Promise<Outcome>;
  startTime: string;
}

/**
 * Azure Resource Manager's asynchronous operation protocol, as Microsoft.Compute speaks it: the first response
 * (201 for a PUT, 202 for a POST or DELETE) carries `Azure-AsyncOperation` (a status document, polled until its
 * status is terminal) and, for POST and DELETE, `Location` (202 while running, then the action's result). The
 * resource itself changes when the operation finishes, after a configurable number of polls.
 */
export class Operations {
  private readonly operations = new Map<string, Operation>();
  /** Operation ids in the order they started. */
  private readonly started: string[] = [];

  constructor(
    private readonly baseUrl: () => string,
    private readonly pollsUntilDone: number,
  ) {}

  /** Answers the first request of an operation and remembers how it finishes. */
  start(response: ServerResponse, options: { status: 201 | 202 | 200; body?: unknown; location: boolean; subscription: string; region: string; apiVersion: string }, finish: () => Promise<Outcome>): void {
    const id = randomUUID();
    this.operations.set(id, { pollsLeft: this.pollsUntilDone, finish, startTime: new Date().toISOString() });
    this.started.push(id);
    const url = `${this.baseUrl()}/subscriptions/${options.subscription}/providers/Microsoft.Compute/locations/${options.region}/operations/${id}?api-version=${options.apiVersion}`;
    const headers: Record<string, string> = { 'azure-asyncoperation': url, 'content-type': 'application/json' };
    if (options.location) headers.location = `${url}&monitor=true`;
    response.writeHead(options.status, headers);
    response.end(options.body === undefined ? '' : JSON.stringify(options.body));
  }

  /** How many operations have started: a mark for `runUnpolled`. */
  get count(): number {
    return this.started.length;
  }

  /**
   * The operations started since `mark` run to their end although nobody polls them, as ARM's do: what happens to
   * the operation of a request whose answer was lost.
   */
  runUnpolled(mark: number): void {
    for (const id of this.started.slice(mark)) {
      const operation = this.operations.get(id)!;
      setTimeout(() => void (operation.outcome ??= operation.finish()), 20);
    }
  }

  /** GET of an operation's status (Azure-AsyncOperation) or result (Location, `monitor=true`). */
  async poll(id: string, monitor: boolean, response: ServerResponse): Promise<boolean> {
    const operation = this.operations.get(id);
    if (!operation) return false;
    if (operation.pollsLeft > 0) {
      operation.pollsLeft--;
      if (monitor) {
        response.writeHead(202).end();
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ name: id, status: 'InProgress', startTime: operation.startTime }));
      }
      return true;
    }
    const { status, error, output } = await (operation.outcome ??= operation.finish());
    response.writeHead(200, { 'content-type': 'application/json' });
    if (monitor) {
      response.end(output === undefined ? '' : JSON.stringify(output));
    } else {
      const document: Record<string, unknown> = { name: id, status, startTime: operation.startTime, endTime: new Date().toISOString() };
      if (error) document.error = error;
      if (output !== undefined) document.properties = { output };
      response.end(JSON.stringify(document));
    }
    return true;
  }
}
