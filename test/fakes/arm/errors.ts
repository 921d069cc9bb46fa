/** A request the fake answers with an ARM error document: `{ error: { code, message } }`. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
