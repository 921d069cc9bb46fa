/**
 * Errors of the consumer side. They carry the exit code the CLI uses (pipeline/cli/report-error.ts) without importing
 * the pipeline: 2 when the request cannot be answered as asked (bad input, no such version, no such entry), 1 when
 * fetching or trusting the answer failed.
 */
export class DiscoveryError extends Error {
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

/** The request names something that is not there, or asks in a way that cannot be answered. Exit 2. */
export class DiscoveryInputError extends DiscoveryError {
  override readonly exitCode = 2;
}
