/**
 * Runs one cloud's upload step (plan or upload) in a process of its own, as `osimage upload` will: the config parsed
 * by the real schema, the real file journal, JSON logs on stderr, the result as JSON on stdout. Tests that serve a
 * fake cloud over https with a test CA start it with NODE_EXTRA_CA_CERTS, which Node reads only at start-up.
 *
 * argv[2]: JSON array of runs { mode: 'plan' | 'upload', csp, config, version, commit, image, stateDir }, made one
 * after the other as separate invocations would be (a fresh context, the journal read back from disk), so that a test
 * can fail a run and rerun it without paying for another process. stdout: JSON array of { code, result?, error? }.
 */
import { configSchema } from '../../config/schema.js';
import { parseVersion, uidOf, type Csp } from '../../discovery/version.js';
import { openJournal } from '../../pipeline/journal.js';
import { createLogger } from '../../pipeline/logger.js';
import { FileStore } from '../../pipeline/store/file-store.js';
import { checkRawImage } from '../../steps/build.js';
import { loadUploader } from '../../steps/upload/registry.js';
import type { UploadContext } from '../../steps/upload/uploader.js';
import { RetryCounts } from '../../pipeline/retry.js';

export interface ChildRun {
  mode: 'plan' | 'upload';
  csp: Csp;
  config: unknown;
  version: string;
  commit: string;
  image: string;
  stateDir: string;
}

export interface ChildOutcome {
  code: number;
  result?: unknown;
  error?: string;
  /** The run's retries per scope, as the run summary reports them. */
  retries: Record<string, number>;
}

async function runOnce(input: ChildRun, index: number): Promise<ChildOutcome> {
  const retries = new RetryCounts();
  try {
    const version = parseVersion(input.version);
    const uid = uidOf(version, input.commit);
    const store = new FileStore(input.stateDir);
    const ctx: UploadContext = {
      uid,
      version,
      commit: input.commit,
      csp: input.csp,
      image: await checkRawImage(input.csp, input.image),
      config: configSchema.parse(input.config),
      log: createLogger({ pretty: false, level: 'debug' }).child({ run: index }),
      signal: new AbortController().signal,
      warnings: [],
      retries,
      journal: await openJournal(store, uid, input.csp),
      store,
    };
    const uploader = await loadUploader(input.csp);
    return { code: 0, result: input.mode === 'plan' ? await uploader.plan(ctx) : await uploader.upload(ctx), retries: retries.summary() };
  } catch (error) {
    return { code: (error as { exitCode?: number }).exitCode ?? 1, error: `${(error as Error).message}\n${(error as Error).stack}`, retries: retries.summary() };
  }
}

const runs = JSON.parse(process.argv[2]!) as ChildRun[];
const outcomes: ChildOutcome[] = [];
for (const [index, run] of runs.entries()) outcomes.push(await runOnce(run, index));
process.stdout.write(JSON.stringify(outcomes));
