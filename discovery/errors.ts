/**
 * The base of every error osimage reports. It carries the exit code the CLI uses (pipeline/cli/report-error.ts) and a
 * hint that says what to do. It lives here, in the lowest layer, so that the pipeline can share it while discovery
 * imports nothing from the pipeline.
 */
export class OsimageError extends Error {
  readonly exitCode: number = 1;
  constructor(
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Errors of the consumer side: 2 when the request cannot be answered as asked (bad input, no such version, no such
 * entry), 1 when fetching or trusting the answer failed.
 */
export class DiscoveryError extends OsimageError {}

/** The request names something that is not there, or asks in a way that cannot be answered. Exit 2. */
export class DiscoveryInputError extends DiscoveryError {
  override readonly exitCode = 2;
}
