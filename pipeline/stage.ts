import type { RunContext } from './context.js';

/** One step of the pipeline (goreleaser's pipes are the model): a name, a skip rule and one `run`. */
export interface Stage {
  readonly name: string;
  /** A reason to skip this stage in this run, or false to run it. */
  skip?(ctx: RunContext): string | false;
  run(ctx: RunContext): Promise<void>;
}
