import { escapeGithub } from '../log-format.js';

/** Prints an error for a person (message, then the hint) and returns its exit code. */
export function reportError(error: unknown): number {
  const exitCode = exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as { hint?: string }).hint;
  // Under GitHub Actions the error is an annotation too, on the run's summary page.
  if (process.env.GITHUB_ACTIONS === 'true') process.stderr.write(`::error title=osimage::${escapeGithub(`${message}${hint ? `\nhint: ${hint}` : ''}`)}\n`);
  process.stderr.write(`osimage: ${message}\n`);
  if (hint) process.stderr.write(`  hint: ${hint}\n`);
  if (exitCode === 1 && error instanceof Error && process.env.OSIMAGE_DEBUG) process.stderr.write(`${error.stack}\n`);
  return exitCode;
}

function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown }).exitCode;
  return typeof code === 'number' && code > 0 ? code : 1;
}
