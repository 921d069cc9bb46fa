import { pino, type Logger } from 'pino';

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
  return pino({
    level,
    redact,
    base: undefined,
    transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true } },
  });
}
