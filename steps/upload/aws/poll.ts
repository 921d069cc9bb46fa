import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, OsimageError } from '../../../pipeline/errors.js';
import type { AwsStep } from './aws-step.js';

export interface PollOptions {
  /** For the timeout error: what did not happen in time. */
  what: string;
  timeoutMinutes: number;
  /** Which config key sets the timeout, for the hint. */
  timeoutKey: string;
}

/**
 * Calls `check` every `aws.timeouts.pollSeconds` until it returns a value; fails after the timeout. We poll ourselves
 * rather than use the SDK's waiters: they only stop on the states they know, and spin until their timeout otherwise.
 */
export async function pollUntil<T>(step: AwsStep, options: PollOptions, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + options.timeoutMinutes * 60_000;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) {
      throw new OsimageError(
        `${options.what} did not happen within ${options.timeoutMinutes} minutes`,
        `raise ${options.timeoutKey} in the config, or run the same command again later: the run resumes where it stopped`,
      );
    }
    await pause(step);
  }
}

/** Waits one poll interval; Ctrl-C ends the wait. */
export async function pause(step: AwsStep): Promise<void> {
  try {
    await sleep(step.config.timeouts.pollSeconds * 1000, undefined, { signal: step.ctx.signal });
  } catch (error) {
    if (step.ctx.signal.aborted) throw new AbortedError();
    throw error;
  }
}

/** EC2 answers these for a while after an AMI appears, before every endpoint knows it. */
const NOT_YET_VISIBLE = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable']);

export function isNotYetVisible(error: unknown): boolean {
  return error instanceof Error && NOT_YET_VISIBLE.has(error.name);
}

/** Runs a call on a new AMI, retrying while EC2 does not see the AMI yet. */
export async function whenVisible<T>(step: AwsStep, what: string, call: () => Promise<T>): Promise<T> {
  return pollUntil(step, { what, timeoutMinutes: step.config.timeouts.availableMinutes, timeoutKey: 'aws.timeouts.availableMinutes' }, async () => {
    try {
      return { value: await call() };
    } catch (error) {
      if (!isNotYetVisible(error)) throw error;
      step.ctx.log.debug({ err: error }, `${what}: the AMI is not visible yet, retrying`);
      return undefined;
    }
  }).then((result) => result.value);
}
