import type { Csp, Version } from '../discovery/version.js';
import type { LookupTable } from '../discovery/lookup-table.js';
import type { Config } from '../config/schema.js';
import type { Journal } from './journal.js';
import type { Logger } from './logger.js';
import type { RetryCounts } from './retry.js';
import type { Signer } from './signing.js';
import type { ObjectStore } from './store/object-store.js';

/** A raw OS image on local disk, checked by the build stage: a regular file, a whole number of MiB. */
export interface RawImage {
  path: string;
  size: number;
  /** The image digest: SHA-256 of the bytes, lower-case hex (pipeline/image-digest.ts). */
  digest: string;
}

/** A measurements file and its signature, as published. */
export interface SignedMeasurements {
  yaml: string;
  signature?: string;
}

/** What every stage sees (DESIGN.md "The pipeline"). Stages fill the result fields in order. */
export interface RunContext {
  readonly version: Version;
  readonly commit: string;
  readonly uid: string;
  readonly config: Config;
  /** The clouds this run builds: the configured ones, narrowed by --csp. */
  readonly csps: readonly Csp[];
  readonly dryRun: boolean;
  /** --extend: a published release may grow by the references this run adds (never change them). */
  readonly extend: boolean;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** What the run summary must tell besides the lookup table, e.g. a best-effort region left out. */
  readonly warnings: string[];
  /** Retries of transient cloud failures so far, per cloud and for the store: the run summary reports them. */
  readonly retries: RetryCounts;
  readonly store: ObjectStore;
  /**
   * Signs the measurements and the lookup table; a run never publishes unsigned. Resolved on first use, so a CI job
   * that only uploads needs no signing key.
   */
  signer(): Promise<Signer>;
  /** osimage's own version, recorded as provenance. */
  readonly toolVersion: string;
  /** The journal of one csp (or `run` for run-wide work). */
  journal(scope: Csp | 'run'): Promise<Journal>;

  /** From the command line: raw images that override the config. */
  readonly imageOverrides: Partial<Record<Csp, string>>;
  images: Partial<Record<Csp, RawImage>>;
  references: LookupTable;
  measurements: Partial<Record<Csp, SignedMeasurements>>;
  table?: LookupTable;
}
