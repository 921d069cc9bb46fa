import { type Command, Option } from 'commander';
import { CSPS, type Csp } from '../../../discovery/version.js';
import { parseCsp } from '../pipeline-options.js';

export interface MeasureFlags {
  /** `CSP=PATH` as for every pipeline command, or a bare path with --csp. */
  image: string;
  csp?: Csp;
  config?: string;
  uid?: string;
  version?: string;
  commit?: string;
  repo?: string;
  out?: string;
  eventLog?: string;
}

export function registerMeasure(program: Command): void {
  program
    .command('measure')
    .description("precalculate a raw image's PCR values and print its measurements file")
    .requiredOption('--image <csp=path>', 'the raw disk image and its cloud, as for run and upload (or a bare path with --csp)')
    .addOption(new Option('--csp <csp>', `the cloud the image is for (selects its PCR overrides): ${CSPS.join(', ')}`).argParser(parseCsp))
    .option('--config <file>', 'configuration file (default: the embedded config/local.yaml)')
    .option('--version <version>', 'with --commit: the release whose uid is written into the file')
    .option('--commit <commit>', 'with --version: the full commit hash')
    .option('--repo <dir>', 'a git checkout in which to resolve a short --commit')
    .option('--uid <uid>', 'the image version uid written into the file, instead of --version/--commit', 'v0.0.0-pre-local')
    .option('--out <file>', "sign the measurements with the config's key and write a result file for osimage publish")
    .option('--event-log <file>', 'also write the event log (JSON) that explains every extend')
    .addHelpText(
      'after',
      '\nReads only the GPT, the ESP and the boot chain files (no root, no mounts), and replays what firmware,\n' +
        'systemd-stub and the Linux EFI stub measure into PCRs 4, 9 and 11; PCRs 8, 12, 13 and 15 are expected zero,\n' +
        "and the config's measure.overrides add per-cloud firmware values.\n\n" +
        'Examples:\n' +
        '  $ osimage measure --image aws=disk.raw --uid v2.2.0\n' +
        '  csp: aws\n  image: v2.2.0\n  measurements:\n    4: { expected: "…", warnOnly: false }\n    …\n' +
        '  $ osimage measure --image aws=out/aws.raw --config release.yaml --version v2.2.0 \\\n' +
        '      --commit $(git rev-parse HEAD) --out results/aws-measure.json        # a CI job, for osimage publish',
    )
    .action(async (flags: MeasureFlags) => {
      const { measureCommand } = await import('./measure-action.js');
      await measureCommand(flags);
    });
}
