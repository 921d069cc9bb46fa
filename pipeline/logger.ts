import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { writeAboveProgress } from './progress.js';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
export const REDACT = [
  'secret', 'password', 'token', 'sas', 'sasUrl', 'privateKey', 'credentials', 'authorization',
  '*.secret', '*.password', '*.token', '*.sas', '*.sasUrl', '*.privateKey', '*.credentials', '*.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Readable lines instead of JSON; the default on a TTY. */
  pretty?: boolean;
}

/**
 * Logs go to stderr so that stdout carries only results. JSON in CI and pipes, readable lines on a terminal.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.OSIMAGE_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !process.env.CI);
  const redact = { paths: REDACT, censor: '[redacted]' };
  if (!pretty) return pino({ level, redact, base: undefined }, pino.destination({ fd: 2, sync: true }));
  // In process rather than as a transport, so that log lines and upload bars share the terminal without overwriting
  // each other. pino-pretty is loaded only for a terminal.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true });
  return pino({ level, redact, base: undefined }, { write: (line: string) => writeAboveProgress(process.stderr, prettify(line)) });
}
