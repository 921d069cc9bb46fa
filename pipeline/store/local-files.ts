import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crashPoint } from '../crash-point.js';

/**
 * Crash-safe local files (issue 18): every write goes to a temporary file that names its writer (host and pid), is
 * flushed to disk, then moved into place in one step; temporary files of writers that died are removed the next time
 * anyone writes into the same directory; a lock records its holder, so a dead holder cannot keep it.
 */

const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const TEMP_PREFIX = '.tmp-';
export const LOCK_SUFFIX = '.lock';
/** A holder on another host is presumed dead after this long; a lock guards a read-compare-rename of milliseconds. */
const FOREIGN_LOCK_STALE_MS = 60_000;

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** A fresh temporary path in `dir`, after sweeping the temporary files that dead writers left there. */
export async function tempIn(dir: string): Promise<string> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.filter((name) => isTempName(name) && writerIsDead(name.slice(TEMP_PREFIX.length))).map((name) => rm(join(dir, name), { force: true })));
  return join(dir, `${TEMP_PREFIX}${holderTag()}-${randomBytes(6).toString('hex')}`);
}

/** Who writes a temporary file or holds a lock: `<host>-<pid>`, so that others can tell when it died. */
export function holderTag(pid = process.pid): string {
  return `${HOST}-${pid}`;
}

/** Removes, anywhere under `root`, the temporary files of writers that died (a run does this when it starts). */
export async function removeDeadTemps(root: string): Promise<void> {
  const paths = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const dead = paths.filter((path) => {
    const name = basename(path);
    return isTempName(name) && writerIsDead(name.slice(TEMP_PREFIX.length));
  });
  await Promise.all(dead.map((path) => rm(join(root, path), { force: true })));
}

/** Removes the locks under `dir` (where only locks of acquireLock end in .lock) whose holders died. */
export async function removeDeadLocks(dir: string): Promise<void> {
  const paths = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  await Promise.all(paths.filter((path) => path.endsWith(LOCK_SUFFIX)).map((path) => breakIfStale(join(dir, path))));
}

/** `host-pid-…`: dead only when we can tell, i.e. on this host. */
function writerIsDead(tag: string): boolean {
  const [host, pid] = tag.split('-');
  return host === HOST && !isAlive(Number(pid));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes and flushes a temporary file beside `path`; the caller moves it into place. */
export async function writeTemp(path: string, body: string | Uint8Array, mode = 0o644): Promise<string> {
  const temp = await tempIn(dirname(path));
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(body);
    crashPoint('local-file:written');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or link in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  await syncFile(dir).catch(() => undefined);
}

/** Replaces `path` with `body` atomically: readers see the old bytes or the new, never a part. */
export async function writeAtomic(path: string, body: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = await writeTemp(path, body, mode);
  try {
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDir(dirname(path));
}

/**
 * Creates `path` with `body` only when it does not exist, atomically (link fails on an existing target).
 * Returns false when it existed; its bytes are then whatever the first writer wrote, whole.
 */
export async function createAtomic(path: string, body: string | Uint8Array, mode = 0o644): Promise<boolean> {
  const temp = await writeTemp(path, body, mode);
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
  await syncDir(dirname(path));
  return true;
}

/**
 * Takes the lock file `path` (waiting while a live holder has it) and returns its release. A lock whose holder died
 * is taken over: it records host, pid and time, and the taker moves it aside first, so two takers cannot both win.
 */
export async function acquireLock(path: string, timeoutMs = 10_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  const holder = `${holderTag()}-${randomBytes(6).toString('hex')}`;
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(holder);
      await handle.close();
      return async () => {
        if ((await readFile(path, 'utf8').catch(() => '')) === holder) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await breakIfStale(path);
    if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path} (held by a live process)`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

async function breakIfStale(path: string): Promise<void> {
  const [text, stats] = await Promise.all([readFile(path, 'utf8').catch(() => undefined), stat(path).catch(() => undefined)]);
  if (text === undefined || !stats) return;
  const stale = writerIsDead(text) || (!text.startsWith(`${HOST}-`) && Date.now() - stats.mtimeMs > FOREIGN_LOCK_STALE_MS);
  // A holder that has just created the file may not have written its name yet: empty is not stale.
  if (!text || !stale) return;
  const aside = join(dirname(path), `${TEMP_PREFIX}${holderTag()}-${randomBytes(4).toString('hex')}`);
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  // Between our read and our rename another taker may have replaced the dead lock with its own: give it back.
  if ((await readFile(aside, 'utf8').catch(() => text)) !== text) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}
