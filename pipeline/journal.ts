import type { Config } from '../config/schema.js';
import { FileStore } from './store/file-store.js';
import type { ObjectStore } from './store/object-store.js';

/**
 * The journal: the durable record of every finished unit of work of one uid (an uploaded object, an imported
 * snapshot, an AMI in a region, a gallery version). Each csp writes its own scope, so parallel CI jobs that share a
 * journal in the bucket never write the same object.
 */
export interface Journal {
  get<T>(key: string): T | undefined;
  /** Every record, for the lifecycle commands that find what a run made. */
  entries(): Record<string, unknown>;
  /** Durable when the promise resolves. */
  record(key: string, value: unknown): Promise<void>;
  forget(key: string): Promise<void>;
}

export interface Resumable<T> {
  /** Is a journalled result still there in the world? A result the world no longer confirms is made again. */
  confirm?: (recorded: T) => Promise<boolean>;
  /** Look for a result made by an earlier run that failed before it could record it. */
  find?: () => Promise<T | undefined>;
  create: () => Promise<T>;
}

/**
 * One idempotent unit of work: reuse what the journal records and the world confirms, else adopt what the world
 * already has, else create it; record the result the moment it exists.
 */
export async function resumable<T>(journal: Journal, key: string, unit: Resumable<T>): Promise<T> {
  const recorded = journal.get<T>(key);
  if (recorded !== undefined && (!unit.confirm || (await unit.confirm(recorded)))) return recorded;
  const found = unit.find ? await unit.find() : undefined;
  const result = found !== undefined ? found : await unit.create();
  await journal.record(key, result);
  return result;
}

/** Where the journals are kept: in the store with `journal: store`, else on disk under stateDir. */
export function journalStoreOf(config: Pick<Config, 'journal' | 'stateDir'>, store: ObjectStore): ObjectStore {
  return config.journal === 'store' ? store : new FileStore(config.stateDir);
}

/** Where a journal lives: `journal/<uid>/<scope>.json` in an object store (a local directory or the bucket). */
export function journalKey(uid: string, scope: string): string {
  return `journal/${uid}/${scope}.json`;
}

/**
 * A journal kept as one JSON document in an object store, rewritten whole on every record. Records are small and
 * few (one per cloud resource), so the simplicity is worth more than incremental writes. Writes are serialized.
 */
export async function openJournal(store: ObjectStore, uid: string, scope: string): Promise<Journal> {
  const key = journalKey(uid, scope);
  const existing = await store.get(key);
  const entries: Record<string, unknown> = existing ? (JSON.parse(existing.body.toString('utf8')) as Record<string, unknown>) : {};
  let writes: Promise<unknown> = Promise.resolve();
  const persist = () => {
    const body = JSON.stringify(entries, null, 2) + '\n';
    // A failed write must not poison the ones after it; its own caller sees the failure.
    const write = writes.catch(() => undefined).then(() => store.put(key, body, { contentType: 'application/json' }));
    writes = write;
    return write.then(() => undefined);
  };
  return {
    get: <T>(name: string) => entries[name] as T | undefined,
    entries: () => ({ ...entries }),
    record: (name, value) => {
      entries[name] = value;
      return persist();
    },
    forget: (name) => {
      delete entries[name];
      return persist();
    },
  };
}
