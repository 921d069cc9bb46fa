import { OsimageError } from '../discovery/errors.js';

/**
 * Errors carry the process exit code the CLI uses (DESIGN.md): 1 failure, 2 bad input, 3 conflict; `hint` says what
 * to do about it, and the CLI prints it under the message.
 */
export { OsimageError };

/** Bad input: a flag, a version, a config file, a lookup table. Exit 2. */
export class InputError extends OsimageError {
  override readonly exitCode = 2;
}

/** The world already holds something we must not change, such as a published release. Exit 3. */
export class ConflictError extends OsimageError {
  override readonly exitCode = 3;
}

/** A conditional write lost: the object exists (If-None-Match) or changed (If-Match). */
export class PreconditionFailedError extends OsimageError {
  constructor(readonly key: string) {
    super(`the object ${key} exists or changed since it was read`);
  }
}

/** Thrown when the run's AbortSignal fires (Ctrl-C, SIGTERM); the journal keeps what finished. Exit 130, as shells do. */
export class AbortedError extends OsimageError {
  override readonly exitCode = 130;

  constructor() {
    super('the run was interrupted', 'run the same command again to resume where it stopped');
  }
}
