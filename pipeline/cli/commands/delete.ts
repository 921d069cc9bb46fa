import type { Command } from 'commander';

interface DeleteFlags {
  config?: string;
  apply?: boolean;
  release?: boolean;
  deleteEmptyDefinitions?: boolean;
}

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('take a uid away: unpublish it, then delete its images in every cloud and region, its raw image and measurements')
    .argument('<uid>', 'the image version uid, e.g. v2.3.0-pre-debug-<commit>')
    .option('--config <file>', 'the config the uid was published with (default: the embedded config/local.yaml)')
    .option('--apply', 'delete; without it, print what would be deleted and change nothing')
    .option('--release', 'allow deleting a release (releases are meant to be deprecated, not deleted)')
    .option('--delete-empty-definitions', 'also delete an Azure image definition the deletion leaves without versions')
    .addHelpText(
      'after',
      `
Order: the uid leaves images/versions.json, then its lookup table and signature go, then the cloud resources (AMIs
and their snapshots in every region, Azure gallery image versions, the GCE image, leftovers of failed runs), then its
raw image and measurements. A consumer never finds a table naming something that is gone. A resource already gone
counts as deleted; an interrupted deletion resumes from the plan it recorded in the journal.

Examples:
  $ osimage delete v2.3.0-pre-my-branch-cc0de5c68d41f31dd0b284d574f137e0b0ad106b --config release.yaml           # the plan
  $ osimage delete v2.3.0-pre-my-branch-cc0de5c68d41f31dd0b284d574f137e0b0ad106b --config release.yaml --apply
  $ osimage delete v2.1.0 --config release.yaml --release --apply                                               # a release, deliberately`,
    )
    .action(async (uid: string, flags: DeleteFlags) => {
      const [{ createLogger }, { interruptSignal }, { openLifecycle, parseTargetUid }, { applyDeletion, formatDeletion, planDeletion }] = await Promise.all([
        import('../../logger.js'),
        import('../interrupt.js'),
        import('../../../steps/lifecycle/context.js'),
        import('../../../steps/lifecycle/delete.js'),
      ]);
      const target = parseTargetUid(uid, { release: flags.release, command: 'delete' });
      const log = createLogger();
      const ctx = await openLifecycle(flags.config, log, interruptSignal(log));
      const options = { version: target.version, deleteEmptyDefinitions: flags.deleteEmptyDefinitions };
      const plan = await planDeletion(ctx, target.uid, options);
      if (flags.apply) await applyDeletion(ctx, plan, options);
      process.stdout.write(formatDeletion(plan, flags.apply ?? false));
    });
}
