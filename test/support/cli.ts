import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const OSIMAGE = fileURLToPath(new URL('../../../bin/osimage.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process, when one did (a crash test's SIGKILL). */
  signal?: string;
}

/** Runs the real executable, as a user or CI does. */
export function osimage(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OSIMAGE, ...args],
      { cwd: options.cwd, env: { ...process.env, CI: 'true', ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr, signal: error?.signal ?? undefined }),
    );
  });
}
