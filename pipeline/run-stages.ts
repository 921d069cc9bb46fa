import type { RunContext } from './context.js';
import { AbortedError } from './errors.js';
import { logFormat } from './log-format.js';
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
    // Under GitHub Actions each stage's lines fold into a group of their own.
    const grouped = logFormat() === 'github';
    if (grouped) process.stderr.write(`::group::${stage.name}\n`);
    const started = performance.now();
    ctx.log.debug({ stage: stage.name }, `${stage.name}: started`);
    try {
      await stage.run(ctx);
      ctx.log.info({ stage: stage.name, seconds: Math.round(performance.now() - started) / 1000 }, `${stage.name}: done`);
    } catch (error) {
      if (ctx.signal.aborted) throw new AbortedError();
      throw error;
    } finally {
      if (grouped) process.stderr.write('::endgroup::\n');
    }
  }
}
