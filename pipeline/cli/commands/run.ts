import type { Command } from 'commander';
import { addImageOptions, addInputOptions, cspListOption, dryRunOption, extendOption, type PipelineFlags } from '../pipeline-options.js';

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('run the whole pipeline: build, upload, measure, assemble and publish one release')
    .addOption(cspListOption())
    .addOption(dryRunOption())
    .addOption(extendOption())
    .option('--plan-out <file>', 'with --dry-run: also write the readiness report and the plan as JSON to this file');
  addImageOptions(addInputOptions(command))
    .addHelpText(
      'after',
      `
Stages: preflight → resolve → build → upload → measure → assemble → publish. The lookup table is printed on stdout;
logs go to stderr. The preflight checks the store and every cloud read-only (credentials, regions, buckets, roles,
quotas) and stops the run before any write if a check fails. --dry-run prints a readiness report on stdout instead of
a table: every check as ✔/✘ with its cause and fix, then the plan of each cloud; it exits 1 if a check failed. A rerun with the same version and commit resumes: finished work recorded in the journal is not redone.
Exit codes: 0 ok, 1 failure, 2 bad input, 3 the release is already published (nothing was changed).

Examples:
  $ osimage run --version v2.3.0-pre-debug --commit $(git rev-parse HEAD)            # local, embedded default
  $ osimage run --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --dry-run --plan-out plan.json
  $ osimage run --config release.yaml --version v2.2.0 --commit cc0de5c --repo . --csp aws,gcp
  $ osimage run --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --csp aws --extend   # a new region`,
    )
    .action(async (flags: PipelineFlags & { planOut?: string }) => {
      const { runPipeline } = await import('../run-pipeline.js');
      await runPipeline(flags);
    });
}
