import type { Csp } from '../discovery/version.js';
import { describeError } from '../steps/upload/checklist.js';
import { explainAwsError } from '../steps/upload/aws/explain.js';
import type { Check } from '../steps/upload/uploader.js';
import { OsimageError } from './errors.js';
import type { ObjectStore } from './store/object-store.js';

/** What a part of the readiness report is about: the store, one cloud, or the publication. */
export type Scope = 'store' | Csp | 'publish';

/** One scope's part of a readiness report: its checks and, in a dry run, the writes a real run would make. */
export interface Section {
  scope: Scope;
  checks: Check[];
  writes?: string[];
  /** The lookup-table entry a real run would produce (`<planned>` where the cloud chooses the id). */
  reference?: unknown;
}

export interface Failure extends Check {
  scope: Scope;
}

/**
 * The readiness report of a run: what was checked read-only before any write, and in a dry run what would be
 * written. The stages fill it in; the CLI prints it (pipeline/cli/readiness-report.ts).
 */
export class Readiness {
  readonly sections: Section[] = [];

  section(scope: Scope): Section {
    let section = this.sections.find((candidate) => candidate.scope === scope);
    if (!section) {
      section = { scope, checks: [] };
      this.sections.push(section);
    }
    return section;
  }

  get failures(): Failure[] {
    return this.sections.flatMap((section) => section.checks.filter((check) => !check.ok).map((check) => ({ scope: section.scope, ...check })));
  }
}

/** A real run (or a dry run) stops here: checks failed, and nothing was written. */
export class NotReadyError extends OsimageError {
  constructor(readonly failures: Failure[]) {
    super(
      `${failures.length} ${failures.length === 1 ? 'check' : 'checks'} failed; nothing was written:\n` +
        failures.map((failure) => `  ✘ ${failure.scope}: ${failure.what}: ${failure.cause}\n      fix: ${failure.fix}`).join('\n'),
      'fix each problem above, then run again (osimage check runs just these checks)',
    );
  }
}

/** The store must be readable before anything is built for it: a read of versions.json, which may not exist yet. */
export async function checkStore(store: ObjectStore, key: string): Promise<Check> {
  const what = `the store ${store.location} is readable`;
  try {
    await store.head(key);
    return { what, ok: true };
  } catch (error) {
    const { cause, fix } = store.location.startsWith('s3://')
      ? explainAwsError(error, 's3:GetObject and s3:ListBucket on the store bucket')
      : { cause: describeError(error), fix: 'check store.url in the config' };
    return { what, ok: false, cause, fix };
  }
}
