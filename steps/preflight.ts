import type { Csp } from '../discovery/version.js';
import type { RunContext } from '../pipeline/context.js';
import { AbortedError } from '../pipeline/errors.js';
import { checkStore, NotReadyError, type Readiness } from '../pipeline/readiness.js';
import type { Stage } from '../pipeline/stage.js';
import { VERSIONS_KEY } from './publish/keys.js';
import { loadUploader } from './upload/registry.js';
import type { Check, PreflightContext } from './upload/uploader.js';

/**
 * Fail before the first write: the store and every cloud of the run are checked read-only, all of them even when
 * one fails, before anything is built or uploaded. Any failed check stops the run with one line per problem.
 */
export const preflightStage: Stage = {
  name: 'preflight',
  async run(ctx) {
    await runPreflight(ctx.readiness, ctx.store, ctx.csps, (csp) => ({ csp, uid: ctx.uid, config: ctx.config, log: ctx.log.child({ csp }), signal: ctx.signal }));
    if (ctx.signal.aborted) throw new AbortedError();
    const { failures } = ctx.readiness;
    if (failures.length > 0) throw new NotReadyError(failures);
    ctx.log.info(`preflight: ${ctx.readiness.sections.reduce((sum, section) => sum + section.checks.length, 0)} checks passed`);
  },
};

/** Fills `readiness` with the store's check and every cloud's, in the order of `csps`; throws only on an interrupt. */
export async function runPreflight(
  readiness: Readiness,
  store: RunContext['store'],
  csps: readonly Csp[],
  contextOf: (csp: Csp) => PreflightContext,
): Promise<void> {
  const storeSection = readiness.section('store');
  const sections = csps.map((csp) => readiness.section(csp));
  await Promise.all([
    checkStore(store, VERSIONS_KEY).then((check) => void storeSection.checks.push(check)),
    ...csps.map(async (csp, index) => sections[index]!.checks.push(...(await preflightCloud(contextOf(csp))))),
  ]);
}

/** One cloud's checks; a step that cannot even start its checks (a bad token reference, say) is a failed check too. */
async function preflightCloud(ctx: PreflightContext): Promise<Check[]> {
  try {
    return await (await loadUploader(ctx.csp)).preflight(ctx);
  } catch (error) {
    if (ctx.signal.aborted) throw new AbortedError();
    const hint = (error as { hint?: string }).hint;
    return [{ what: `the ${ctx.csp} checks can start`, ok: false, cause: (error as Error).message, fix: hint ?? `check the ${ctx.csp} section of the config` }];
  }
}
