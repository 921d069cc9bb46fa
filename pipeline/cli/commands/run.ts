import type { Command } from 'commander';
import {
  addImageOptions,
  addInputOptions,
  cspListOption,
  dryRunOption,
  extendOption,
  replaceOption,
  type PipelineFlags,
} from '../pipeline-options.js';

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('run the whole pipeline: build, upload, measure, assemble and publish one release')
    .addOption(cspListOption())
    .addOption(dryRunOption())
    .addOption(extendOption())
    .addOption(replaceOption());
  addImageOptions(addInputOptions(command))
    .addHelpText(
      'after',
      `
Stages: resolve → build → measure → upload → assemble → publish. The lookup table is printed on stdout; logs go to
stderr. A rerun with the same version and commit resumes: finished work recorded in the journal is not redone, and
only what carries the same image digest is reused.
Exit codes: 0 ok, 1 failure, 2 bad input, 3 conflict: the release is already published, or an earlier run of the uid
made its images from another image (nothing was changed; a pseudo version may start afresh with --replace).

Examples:
  $ osimage run --version v2.3.0-pre-debug --commit $(git rev-parse HEAD)            # local, embedded default
  $ osimage run --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --dry-run
  $ osimage run --config release.yaml --version v2.2.0 --commit cc0de5c --repo . --csp aws,gcp
  $ osimage run --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) --csp aws --extend   # a new region
  $ osimage run --version v2.3.0-pre-debug --commit $(git rev-parse HEAD) --image qemu=out/qemu.raw --replace`,
    )
    .action(async (flags: PipelineFlags) => {
      const { runPipeline } = await import('../run-pipeline.js');
      await runPipeline(flags);
    });
}
