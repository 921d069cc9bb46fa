import { Option, type Command } from 'commander';
import type { Csp } from '../../../discovery/version.js';
import { addImageOptions, addInputOptions, dryRunOption, parseCsp, replaceOption, type PipelineFlags } from '../pipeline-options.js';

export function registerUpload(program: Command): void {
  const command = program
    .command('upload')
    .description("upload one cloud's raw image and write its image reference to a result file (one CI job per cloud)")
    .addOption(new Option('--csp <csp>', 'the cloud: aws, azure, gcp or qemu').argParser(parseCsp).makeOptionMandatory())
    .requiredOption('--out <file>', 'where to write the result (JSON), for osimage publish --results')
    .addOption(dryRunOption())
    .addOption(replaceOption());
  addImageOptions(addInputOptions(command))
    .addHelpText(
      'after',
      `
The result file carries the uid, the commit, the image digest and the reference; osimage publish refuses results of another run.
The reference is also printed on stdout as JSON.

Example:
  $ osimage upload --csp aws --config release.yaml --version v2.2.0 --commit $(git rev-parse HEAD) \\
      --image aws=out/aws.raw --out results/aws-upload.json`,
    )
    .action(async (flags: Omit<PipelineFlags, 'csp'> & { csp: Csp; out: string }) => {
      const { startRun, stagesNamed } = await import('../run-pipeline.js');
      const { runStages } = await import('../../run-stages.js');
      const { writeResult } = await import('../../results.js');
      const { csp } = flags;
      // Measuring (unsigned: this job holds no signing key) is the check that the image is sound before it is uploaded.
      const ctx = await startRun({ ...flags, csp: [csp] }, { signs: false });
      await runStages(ctx, stagesNamed('resolve', 'build', 'measure', 'upload'));
      for (const warning of ctx.warnings) ctx.log.warn(warning);
      await writeResult(flags.out, { uid: ctx.uid, commit: ctx.commit, csp, digest: ctx.images[csp]!.digest, reference: ctx.references[csp] });
      process.stdout.write(`${JSON.stringify(ctx.references[csp])}\n`);
    });
}
