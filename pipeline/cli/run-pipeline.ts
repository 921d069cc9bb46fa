import { loadConfig } from '../../config/load.js';
import { STAGES } from '../../steps/stages.js';
import { formatLookupTable } from '../../steps/assemble.js';
import { createContext } from '../create-context.js';
import { resolveInputs } from '../inputs.js';
import { createLogger } from '../logger.js';
import { runStages } from '../run-stages.js';
import { interruptSignal } from './interrupt.js';
import type { PipelineFlags } from './pipeline-options.js';

/** `osimage run`: every stage in-process; prints the lookup table. */
export async function runPipeline(flags: PipelineFlags): Promise<void> {
  const inputs = await resolveInputs(flags);
  const { config } = await loadConfig(flags.config);
  const log = createLogger();
  const ctx = await createContext(inputs, {
    config,
    csps: flags.csp,
    images: flags.image,
    dryRun: flags.dryRun,
    log,
    signal: interruptSignal(log),
  });
  await runStages(ctx, STAGES);
  process.stdout.write(formatLookupTable(ctx.table!));
}
