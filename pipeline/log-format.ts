import { InputError } from './errors.js';

/**
 * How logs look on stderr: `pretty` on a terminal (colour unless NO_COLOR), `github` under GitHub Actions (readable
 * lines, `::warning::`/`::error::` annotations, a `::group::` per stage), `json` elsewhere (one JSON object a line,
 * ISO times). `--log-format` (OSIMAGE_LOG_FORMAT) chooses one.
 */
export const LOG_FORMATS = ['pretty', 'github', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function logFormat(env: NodeJS.ProcessEnv = process.env, stderr: { isTTY?: boolean } = process.stderr): LogFormat {
  const chosen = env.OSIMAGE_LOG_FORMAT;
  if (chosen) {
    if (!(LOG_FORMATS as readonly string[]).includes(chosen)) {
      throw new InputError(`--log-format ${chosen} (OSIMAGE_LOG_FORMAT): expected one of ${LOG_FORMATS.join(', ')}`);
    }
    return chosen as LogFormat;
  }
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  return stderr.isTTY === true && !env.CI ? 'pretty' : 'json';
}

export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.OSIMAGE_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InputError(`OSIMAGE_LOG_LEVEL=${level}: expected one of ${LOG_LEVELS.join(', ')}`, '--debug is OSIMAGE_LOG_LEVEL=debug');
  }
  return level;
}

/** A GitHub workflow command's message: %, CR and LF escaped, as the runner expects. */
export function escapeGithub(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}
