import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { logHttpRequests } from './http-debug.js';
import { escapeGithub, logFormat, logLevel, type LogFormat } from './log-format.js';
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
 * Logs go to stderr so that stdout carries only results, in the format of where they are read (pipeline/log-format.ts).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? logLevel();
  const format: LogFormat = options.pretty === undefined ? logFormat() : options.pretty ? 'pretty' : 'json';
  const log = withFormat(level, format);
  if (level === 'debug' || level === 'trace') logHttpRequests(log);
  return log;
}

function withFormat(level: string, format: LogFormat): Logger {
  const settings = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(settings, pino.destination({ fd: 2, sync: true }));
  if (format === 'github') return pino(settings, { write: (line: string) => void process.stderr.write(githubLine(line)) });
  // In process rather than as a transport, so that log lines and upload bars share the terminal without overwriting
  // each other. pino-pretty is loaded only for a terminal.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    colorize: !process.env.NO_COLOR,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname,csp',
    singleLine: true,
    // The facts go into the text; nested objects (PCR values, a table) stay for the JSON format.
    hideObject: true,
    messageFormat: (record) => lineText(record),
  });
  // With hideObject, pino-pretty ends a line without its newline.
  const ended = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return pino(settings, { write: (line: string) => writeAboveProgress(process.stderr, ended(prettify(line))) });
}

const WARN = 40;
const ERROR = 50;
/** Fields every line has, or that the line's text already says. */
const QUIET = new Set(['level', 'time', 'msg', 'csp', 'stage', 'pid', 'hostname']);

/** `<csp>: message (key=value …)`: the cloud in front, the scalar facts of the line after it. */
function lineText(record: Record<string, unknown>): string {
  const prefix = record.csp ? `${String(record.csp)}: ` : '';
  const facts = Object.entries(record).flatMap(([key, value]) => {
    if (QUIET.has(key) || value === undefined || value === null) return [];
    if (Array.isArray(value) && value.every((item) => typeof item !== 'object')) return [`${key}=${value.join(' ')}`];
    return typeof value === 'object' ? [] : [`${key}=${String(value)}`];
  });
  return `${prefix}${String(record.msg ?? '')}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/** One log line for a GitHub Actions log: readable text; warnings and errors become annotations. */
export function githubLine(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const text = lineText(record);
  const level = Number(record.level);
  if (level >= ERROR) return `::error::${escapeGithub(text)}\n`;
  if (level >= WARN) return `::warning::${escapeGithub(text)}\n`;
  return `${text}\n`;
}
