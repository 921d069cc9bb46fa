import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { mapBounded } from '../pipeline/bounded.js';
import type { RunContext } from '../pipeline/context.js';
import { AbortedError } from '../pipeline/errors.js';
import { openJournal, resumable } from '../pipeline/journal.js';
import { runStages } from '../pipeline/run-stages.js';
import type { Stage } from '../pipeline/stage.js';
import { FileStore } from '../pipeline/store/file-store.js';

const silent = pino({ level: 'silent' });

function contextWith(signal = new AbortController().signal): RunContext {
  return { log: silent, signal } as unknown as RunContext;
}

test('stages run in order and skip rules are honoured', async () => {
  const ran: string[] = [];
  const stage = (name: string, skip?: string): Stage => ({ name, skip: () => skip ?? false, run: async () => void ran.push(name) });
  await runStages(contextWith(), [stage('a'), stage('b', 'not needed'), stage('c')]);
  assert.deepEqual(ran, ['a', 'c']);
});

test('an abort stops before the next stage', async () => {
  const controller = new AbortController();
  const ran: string[] = [];
  const stages: Stage[] = [
    { name: 'first', run: async () => { ran.push('first'); controller.abort(); } },
    { name: 'second', run: async () => void ran.push('second') },
  ];
  await assert.rejects(runStages(contextWith(controller.signal), stages), AbortedError);
  assert.deepEqual(ran, ['first']);
});

test('fan-out keeps at most `limit` in flight, runs every item and reports the failure', async () => {
  let inFlight = 0;
  let peak = 0;
  const done: number[] = [];
  const work = async (item: number) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    if (item === 3) throw new Error('item 3 failed');
    done.push(item);
    return item * 2;
  };
  await assert.rejects(mapBounded([1, 2, 3, 4, 5, 6], 2, work), /item 3 failed/);
  assert.equal(peak, 2);
  assert.deepEqual(done.sort(), [1, 2, 4, 5, 6]);
  assert.deepEqual(await mapBounded([1, 2, 3], 8, async (n) => n * 2), [2, 4, 6]);
});

test('resumable work: journalled and confirmed results are reused, lost ones made again, found ones adopted', async () => {
  const store = new FileStore(await mkdtemp(join(tmpdir(), 'journal-')));
  let created = 0;
  const world = new Set<string>();
  const unit = {
    confirm: async (id: string) => world.has(id),
    create: async () => {
      const id = `res-${++created}`;
      world.add(id);
      return id;
    },
  };
  const journal = await openJournal(store, 'v1.0.0', 'aws');
  assert.equal(await resumable(journal, 'thing', unit), 'res-1');
  // A new process reads the journal back from the store.
  const reopened = await openJournal(store, 'v1.0.0', 'aws');
  assert.equal(await resumable(reopened, 'thing', unit), 'res-1');
  assert.equal(created, 1);
  world.clear();
  assert.equal(await resumable(reopened, 'thing', unit), 'res-2', 'a result the world no longer has is made again');
  const adopted = await resumable(reopened, 'other', { ...unit, find: async () => 'res-found' });
  assert.equal(adopted, 'res-found');
  assert.equal(created, 2);
  assert.equal((await openJournal(store, 'v1.0.0', 'aws')).get('other'), 'res-found');
});
