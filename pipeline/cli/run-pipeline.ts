import { loadConfig } from '../../config/load.js';
import { formatLookupTable } from '../../steps/assemble.js';
import { STAGES } from '../../steps/stages.js';
import type { RunContext } from '../context.js';
import { createContext } from '../create-context.js';
import { resolveInputs } from '../inputs.js';
import { createLogger } from '../logger.js';
import { runStages } from '../run-stages.js';
import type { Stage } from '../stage.js';
import { interruptSignal } from './interrupt.js';
import type { PipelineFlags } from './pipeline-options.js';

/** Validates the inputs and config, and makes the context every pipeline command runs its stages in. */
export async function startRun(flags: PipelineFlags): Promise<RunContext> {
  const inputs = await resolveInputs(flags);
  const { config } = await loadConfig(flags.config);
  const log = createLogger();
  return createContext(inputs, {
    config,
    csps: flags.csp,
    images: flags.image,
    dryRun: flags.dryRun,
    extend: flags.extend,
    log,
    signal: interruptSignal(log),
  });
}

/** `osimage run`: every stage in-process; prints the lookup table. */
export async function runPipeline(flags: PipelineFlags): Promise<void> {
  const ctx = await startRun(flags);
  await runStages(ctx, STAGES);
  logSummary(ctx);
  process.stdout.write(formatLookupTable(ctx.table!));
}

/** The end of a run in one place: what was published, and what was left out or needs a look. */
export function logSummary(ctx: RunContext): void {
  for (const warning of ctx.warnings) ctx.log.warn(warning);
  const verb = ctx.dryRun ? 'planned' : 'published';
  const retries = ctx.retries.summary();
  const retried = Object.entries(retries).map(([scope, count]) => `${count} ${scope}`).join(', ');
  ctx.log.info(
    { uid: ctx.uid, table: ctx.table, warnings: ctx.warnings.length, retries },
    `${verb} ${ctx.uid}${ctx.warnings.length ? ` with ${ctx.warnings.length} warnings` : ''}${retried ? ` (retried transient failures: ${retried})` : ''}`,
  );
}

/** The split commands run a slice of the same stage list. */
export function stagesNamed(...names: string[]): Stage[] {
  return names.map((name) => {
    const stage = STAGES.find((candidate) => candidate.name === name);
    if (!stage) throw new Error(`no stage ${name}`);
    return stage;
  });
}
