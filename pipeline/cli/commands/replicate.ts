import type { Command } from 'commander';

interface ReplicateFlags {
  config?: string;
  awsRegion?: string[];
  azureRegion?: string[];
  dryRun?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

export function registerReplicate(program: Command): void {
  program
    .command('replicate')
    .description('copy a published uid to new regions from the images it already has, then grow its lookup table')
    .argument('<uid>', 'the published image version uid')
    .option('--config <file>', 'the config the uid was published with (default: the embedded config/local.yaml)')
    .option('--aws-region <region...>', 'AWS regions to copy the AMI to (repeatable, or comma-separated)', collect)
    .option('--azure-region <region...>', 'Azure regions to add to the gallery image versions', collect)
    .option('--dry-run', 'log what would be copied and change nothing')
    .addHelpText(
      'after',
      `
AWS: CopyImage from the import region's AMI, then the original's tags (uid, version, commit, digest) and public
launch permission. Azure: the regions are added to each gallery image version's target regions. The lookup table
grows on its ETag and no published reference changes; it is re-signed. An interrupted run resumes from the journal.
An AWS region not in aws.regions uses the SDK's endpoint for it.

Examples:
  $ osimage replicate v2.2.0 --config release.yaml --aws-region ap-south-1 --aws-region sa-east-1
  $ osimage replicate v2.2.0 --config release.yaml --azure-region northeurope --dry-run`,
    )
    .action(async (uid: string, flags: ReplicateFlags) => {
      const [{ createLogger }, { interruptSignal }, { openLifecycle }, { replicate }, { parseUid }, { InputError }] = await Promise.all([
        import('../../logger.js'),
        import('../interrupt.js'),
        import('../../../steps/lifecycle/context.js'),
        import('../../../steps/lifecycle/replicate.js'),
        import('../../../discovery/version.js'),
        import('../../errors.js'),
      ]);
      const { version } = parseUid(uid);
      const awsRegions = flags.awsRegion ?? [];
      const azureRegions = flags.azureRegion ?? [];
      if (awsRegions.length + azureRegions.length === 0) throw new InputError('name at least one region: --aws-region R or --azure-region R');
      const log = createLogger();
      const ctx = await openLifecycle(flags.config, log, interruptSignal(log));
      process.stdout.write(await replicate(ctx, { uid, version, awsRegions, azureRegions, dryRun: flags.dryRun ?? false }));
    });
}
