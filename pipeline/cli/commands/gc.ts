import type { Command } from 'commander';

interface GcFlags {
  config?: string;
  apply?: boolean;
  goneBranch?: string[];
  keep?: string;
  keepDays?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('delete the pseudo versions the retention policy (config gc:) lets go; releases are never deleted')
    .option('--config <file>', 'the config (its gc: section is the policy; default: the embedded config/local.yaml)')
    .option('--gone-branch <name...>', 'branches that were deleted: all their pseudo versions go (repeatable)', collect)
    .option('--keep <n>', 'keep the newest N pseudo versions of each suffix (overrides gc.keepPseudo)')
    .option('--keep-days <d>', 'keep pseudo versions younger than D days (overrides gc.keepPseudoDays)')
    .option('--apply', 'delete; without it, print what would be deleted and change nothing')
    .addHelpText(
      'after',
      `
Each pseudo version that goes is deleted as osimage delete does it (unpublished first, then its images in every cloud
and region), and the output is delete's, one block per uid.

Examples:
  $ osimage gc --config release.yaml                                   # the plan
  $ osimage gc --config release.yaml --apply
  $ osimage gc --config release.yaml --gone-branch feature/login --apply`,
    )
    .action(async (flags: GcFlags) => {
      const [{ createLogger }, { interruptSignal }, { openLifecycle }, { collectGarbage, selectGarbage }, { InputError }] = await Promise.all([
        import('../../logger.js'),
        import('../interrupt.js'),
        import('../../../steps/lifecycle/context.js'),
        import('../../../steps/lifecycle/gc.js'),
        import('../../errors.js'),
      ]);
      const number = (flag: string, value: string | undefined, fallback: number) => {
        if (value === undefined) return fallback;
        const parsed = Number(value);
        if (!Number.isFinite(parsed) || parsed < 0) throw new InputError(`${flag} ${value}: expected a number of at least 0`);
        return parsed;
      };
      const log = createLogger();
      const ctx = await openLifecycle(flags.config, log, interruptSignal(log));
      const policy = {
        keepPseudo: number('--keep', flags.keep, ctx.config.gc.keepPseudo),
        keepPseudoDays: number('--keep-days', flags.keepDays, ctx.config.gc.keepPseudoDays),
      };
      const verdicts = await selectGarbage(ctx, { policy, goneBranches: flags.goneBranch ?? [], now: new Date() });
      process.stdout.write(await collectGarbage(ctx, verdicts, flags.apply ?? false));
    });
}
