import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { CSPS, type Csp } from '../discovery/version.js';
import type { RunContext } from './context.js';
import { InputError } from './errors.js';
import type { Inputs } from './inputs.js';
import { openJournal, type Journal } from './journal.js';
import type { Logger } from './logger.js';
import { resolveSigner } from './signing.js';
import { FileStore } from './store/file-store.js';
import { openStore } from './store/open-store.js';

export interface RunOptions {
  config: Config;
  /** --csp: narrows the configured clouds. */
  csps?: Csp[];
  /** --image CSP=PATH */
  images?: Partial<Record<Csp, string>>;
  dryRun?: boolean;
  extend?: boolean;
  log: Logger;
  signal: AbortSignal;
}

const TOOL_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function createContext(inputs: Inputs, options: RunOptions): Promise<RunContext> {
  const { config } = options;
  const csps = selectClouds(config, options.csps);
  for (const csp of Object.keys(options.images ?? {}) as Csp[]) {
    if (!csps.includes(csp)) throw new InputError(`--image ${csp}=… names a cloud this run does not build (${csps.join(', ')})`);
  }
  const store = await openStore(config.store);
  const journalStore = config.journal === 'store' ? store : await FileStore.open(config.stateDir);
  const journals = new Map<string, Promise<Journal>>();
  const journal = (scope: Csp | 'run') => {
    if (!journals.has(scope)) journals.set(scope, openJournal(journalStore, inputs.uid, scope));
    return journals.get(scope)!;
  };
  return {
    ...inputs,
    config,
    csps,
    dryRun: options.dryRun ?? false,
    extend: options.extend ?? false,
    log: options.log,
    signal: options.signal,
    warnings: [],
    store,
    journal,
    signer: once(() => resolveSigner(config, options.log)),
    toolVersion: TOOL_VERSION,
    imageOverrides: options.images ?? {},
    images: {},
    references: {},
    measurements: {},
  };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** The clouds with a config section, narrowed by --csp; asking for an unconfigured cloud is an error. */
function selectClouds(config: Config, requested?: Csp[]): Csp[] {
  const configured = CSPS.filter((csp) => (config as Record<string, unknown>)[csp] !== undefined);
  if (!requested || requested.length === 0) {
    if (configured.length === 0) throw new InputError('the config has no cloud section (aws, azure, gcp or qemu)');
    return configured;
  }
  const unconfigured = requested.filter((csp) => !configured.includes(csp));
  if (unconfigured.length > 0) {
    throw new InputError(
      `--csp ${unconfigured.join(',')}: the config has no section for ${unconfigured.join(', ')}`,
      `configured clouds: ${configured.join(', ') || 'none'}; add the section (see config/release.example.yaml)`,
    );
  }
  return CSPS.filter((csp) => requested.includes(csp));
}
