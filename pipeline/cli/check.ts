import { loadConfig } from '../../config/load.js';
import type { Csp } from '../../discovery/version.js';
import { runPreflight } from '../../steps/preflight.js';
import { selectClouds } from '../create-context.js';
import { OsimageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { Readiness } from '../readiness.js';
import { openStore } from '../store/open-store.js';
import { paletteFor } from './colors.js';
import { interruptSignal } from './interrupt.js';
import { formatReadiness, readinessJson } from './readiness-report.js';

export interface CheckFlags {
  config?: string;
  csp?: Csp[];
  output?: string;
  json?: boolean;
}

/**
 * `osimage check`: the preflight of a run without the run, for a laptop before a release and for CI before the
 * build: the store and every configured cloud, read-only. Exit 1 if a check failed.
 */
export async function runCheck(flags: CheckFlags, format: 'text' | 'json'): Promise<void> {
  const { config, file } = await loadConfig(flags.config);
  const csps = selectClouds(config, flags.csp);
  const log = createLogger();
  const signal = interruptSignal(log);
  const readiness = new Readiness();
  await runPreflight(readiness, await openStore(config.store), csps, (csp) => ({ csp, config, log: log.child({ csp }), signal }));
  process.stdout.write(
    format === 'json' ? readinessJson(readiness, { config: file }) : formatReadiness(readiness, paletteFor(process.stdout), `Readiness of ${file}`),
  );
  const failed = readiness.failures.length;
  if (failed > 0) throw new OsimageError(`${failed} readiness ${failed === 1 ? 'check' : 'checks'} failed`, 'the report on stdout says why and how to fix each');
}
