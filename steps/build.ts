import { lstat } from 'node:fs/promises';
import { execa, ExecaError } from 'execa';
import type { Csp } from '../discovery/version.js';
import type { RawImage, RunContext } from '../pipeline/context.js';
import { InputError, OsimageError } from '../pipeline/errors.js';
import { imageDigest } from '../pipeline/image-digest.js';
import type { Stage } from '../pipeline/stage.js';

const MiB = 1024 * 1024;
/** How much of a failed build's output the error repeats. */
const TAIL_LINES = 20;

/**
 * Runs the configured image build command, if any, then checks the raw image of every csp: a regular file whose
 * size is a whole number of MiB (what every cloud's import expects).
 */
export const buildStage: Stage = {
  name: 'build',
  async run(ctx) {
    // A CI job handed its image with --image needs no build.
    const needsBuild = ctx.csps.some((csp) => !ctx.imageOverrides[csp]);
    if (ctx.config.build && needsBuild) await runBuildCommand(ctx, ctx.config.build);
    for (const csp of ctx.csps) ctx.images[csp] = await checkRawImage(csp, imagePath(ctx, csp));
  },
};

function imagePath(ctx: RunContext, csp: Csp): string {
  const path = ctx.imageOverrides[csp] ?? ctx.config.build?.images[csp] ?? ctx.config.images[csp];
  if (!path) {
    throw new InputError(
      `no raw image for ${csp}`,
      `give --image ${csp}=PATH, or set images.${csp} (or build.images.${csp} with a build command) in the config`,
    );
  }
  return path;
}

export async function checkRawImage(csp: Csp, path: string): Promise<RawImage> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) throw new InputError(`the raw image for ${csp} does not exist: ${path}`);
  if (!stats.isFile()) throw new InputError(`the raw image for ${csp} is not a regular file: ${path}`);
  if (stats.size === 0 || stats.size % MiB !== 0) {
    throw new InputError(
      `the raw image for ${csp} is ${stats.size} bytes, not a whole number of MiB: ${path}`,
      'clouds import only MiB-aligned disks; pad it, e.g. truncate -s %1M FILE',
    );
  }
  return { path, size: stats.size, digest: await imageDigest(path) };
}

async function runBuildCommand(ctx: RunContext, build: NonNullable<RunContext['config']['build']>): Promise<void> {
  const [file, ...args] = build.command;
  const log = ctx.log.child({ stage: 'build' });
  log.info({ command: build.command, cwd: build.cwd }, 'running the image build command');
  if (ctx.dryRun) log.info('a dry run builds for real: building is local work');
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  try {
    await execa(file!, args, {
      cwd: build.cwd,
      timeout: build.timeoutMinutes * 60_000,
      cancelSignal: ctx.signal,
      env: { OSIMAGE_UID: ctx.uid, OSIMAGE_VERSION: ctx.version.text, OSIMAGE_COMMIT: ctx.commit },
      stdin: 'ignore',
      lines: false,
      stdout: [function* (line: unknown) { keep(String(line)); log.info({ stream: 'stdout' }, String(line)); }],
      stderr: [function* (line: unknown) { keep(String(line)); log.info({ stream: 'stderr' }, String(line)); }],
    });
  } catch (error) {
    if (!(error instanceof ExecaError)) throw error;
    const why = error.timedOut
      ? `timed out after ${build.timeoutMinutes} minutes`
      : error.isCanceled
        ? 'was interrupted'
        : error.exitCode !== undefined
          ? `failed with exit code ${error.exitCode}`
          : `could not run: ${error.shortMessage}`;
    throw new OsimageError(
      `the image build command ${why}${tail.length ? `; its last lines:\n${tail.join('\n')}` : ''}`,
      'the command is build.command in the config; its whole output is in the log',
    );
  }
}
