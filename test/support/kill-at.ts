import { appendFileSync } from 'node:fs';

/**
 * Preloaded into the osimage process by crash tests (`node --import …/kill-at.js`, through NODE_OPTIONS). It installs
 * the hook behind pipeline/crash-point.ts:
 * - OSIMAGE_TEST_CRASH_LOG=FILE appends the name of every crash point the run passes, one a line;
 * - OSIMAGE_TEST_KILL_AT=NAME#N kills the process with SIGKILL the N-th time it reaches NAME, as a power cut or an
 *   OOM killer would: no handler, no cleanup.
 */
const log = process.env.OSIMAGE_TEST_CRASH_LOG;
const [killName, killCount] = (process.env.OSIMAGE_TEST_KILL_AT ?? '').split('#');
const seen = new Map<string, number>();

(globalThis as { osimageCrashPoint?: (name: string) => void }).osimageCrashPoint = (name) => {
  if (log) appendFileSync(log, `${name}\n`);
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  if (name === killName && count === Number(killCount ?? 1)) process.kill(process.pid, 'SIGKILL');
};
