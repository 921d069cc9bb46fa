import type { RunContext } from './context.js';
import { crashPoint } from './crash-point.js';
import { AbortedError } from './errors.js';
import type { Stage } from './stage.js';

/** Runs the stages in order, each unless its skip rule says why not. Stops between stages when aborted. */
export async function runStages(ctx: RunContext, stages: readonly Stage[]): Promise<void> {
  for (const stage of stages) {
    if (ctx.signal.aborted) throw new AbortedError();
    const skip = stage.skip?.(ctx);
    if (skip) {
      ctx.log.info({ stage: stage.name, reason: skip }, `${stage.name}: skipped`);
      continue;
    }
    const started = performance.now();
    ctx.log.debug({ stage: stage.name }, `${stage.name}: started`);
    try {
      await stage.run(ctx);
    } catch (error) {
      if (ctx.signal.aborted) throw new AbortedError();
      throw error;
    }
    ctx.log.info({ stage: stage.name, seconds: Math.round(performance.now() - started) / 1000 }, `${stage.name}: done`);
    crashPoint(`stage:${stage.name}`);
  }
}
