import type { Logger } from '../logger.js';

/**
 * The first Ctrl-C (or SIGTERM from CI) stops the run cleanly at the next safe point, keeping the journal; a second
 * one exits at once.
 */
export function interruptSignal(log: Logger): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    log.warn({ signal: name }, 'stopping: finished work stays in the journal; run the same command again to resume');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
