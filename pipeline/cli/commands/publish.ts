import type { Command } from 'commander';
import { addInputOptions, dryRunOption, extendOption, type PipelineFlags } from '../pipeline-options.js';

export function registerPublish(program: Command): void {
  const command = program
    .command('publish')
    .description('publish the results of the per-cloud jobs: measurements, then the lookup table, then the index')
    .requiredOption('--results <dir>', 'the directory of result files written by upload --out and measure --out')
    .addOption(dryRunOption())
    .addOption(extendOption());
  addInputOptions(command)
    .addHelpText(
      'after',
      `
Every result must belong to the same uid and commit. Each cloud needs both its reference and its measurements.
Prints the lookup table on stdout. Exit 3 when the release is already published (nothing is changed).

Example:
  $ osimage publish --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --results results/`,
    )
    .action(async (flags: PipelineFlags & { results: string }) => {
      const { startRun, stagesNamed } = await import('../run-pipeline.js');
      const { logSummary } = await import('../run-summary.js');
      const { runStages } = await import('../../run-stages.js');
      const { resolveInputs } = await import('../../inputs.js');
      const { loadResults } = await import('../../results.js');
      const { formatLookupTable } = await import('../../../steps/assemble.js');
      const results = await loadResults(flags.results, await resolveInputs(flags));
      const ctx = await startRun({ ...flags, csp: results.csps });
      Object.assign(ctx.references, results.references);
      Object.assign(ctx.measurements, results.measurements);
      await runStages(ctx, stagesNamed('resolve', 'assemble', 'publish'));
      if (ctx.dryRun) ctx.log.info({ uid: ctx.uid, table: ctx.table }, `dry run: nothing was published for ${ctx.uid}`);
      else await logSummary(ctx);
      process.stdout.write(formatLookupTable(ctx.table!));
    });
}
