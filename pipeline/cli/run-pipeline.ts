import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../config/load.js';
import { formatLookupTable } from '../../steps/assemble.js';
import { STAGES } from '../../steps/stages.js';
import type { RunContext } from '../context.js';
import { createContext } from '../create-context.js';
import { resolveInputs } from '../inputs.js';
import { OsimageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { NotReadyError } from '../readiness.js';
import { runStages } from '../run-stages.js';
import type { Stage } from '../stage.js';
import { paletteFor } from './colors.js';
import { interruptSignal } from './interrupt.js';
import type { PipelineFlags } from './pipeline-options.js';
import { formatReadiness, readinessJson } from './readiness-report.js';
import { logSummary } from './run-summary.js';

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

/** `osimage run`: every stage in-process; prints the lookup table, or for a dry run the readiness report. */
export async function runPipeline(flags: PipelineFlags & { planOut?: string }): Promise<void> {
  const ctx = await startRun(flags);
  if (ctx.dryRun) return rehearse(ctx, STAGES, flags.planOut);
  await runStages(ctx, STAGES);
  await logSummary(ctx);
  process.stdout.write(formatLookupTable(ctx.table!));
}

/**
 * A dry run prints what it checked and planned, never a table that could pass for a published one; `--plan-out`
 * writes the same as JSON. Exit 1 when a check failed: the report says which and how to fix it.
 */
export async function rehearse(ctx: RunContext, stages: readonly Stage[], planOut?: string): Promise<void> {
  let failed: NotReadyError | undefined;
  try {
    await runStages(ctx, stages);
  } catch (error) {
    if (!(error instanceof NotReadyError)) throw error;
    failed = error;
  }
  const title = `Readiness of ${ctx.uid} (dry run: nothing was written)`;
  process.stdout.write(formatReadiness(ctx.readiness, paletteFor(process.stdout), title));
  if (planOut) await writeFile(planOut, readinessJson(ctx.readiness, { uid: ctx.uid, dryRun: true }));
  if (failed) {
    throw new OsimageError(`${failed.failures.length} readiness ${failed.failures.length === 1 ? 'check' : 'checks'} failed`, 'the report on stdout says why and how to fix each');
  }
  for (const warning of ctx.warnings) ctx.log.warn(warning);
}

/** The split commands run a slice of the same stage list. */
export function stagesNamed(...names: string[]): Stage[] {
  return names.map((name) => {
    const stage = STAGES.find((candidate) => candidate.name === name);
    if (!stage) throw new Error(`no stage ${name}`);
    return stage;
  });
}
