import type { GcConfig } from '../../config/gc.js';
import { parseUid } from '../../discovery/version.js';
import { EMPTY_INDEX, parseVersionsIndex } from '../../discovery/versions-index.js';
import { tableKey, VERSIONS_KEY } from '../publish/keys.js';
import type { CloudOptions } from './clouds.js';
import type { LifecycleContext } from './context.js';
import { applyDeletion, formatDeletion, planDeletion, type DeletionPlan } from './delete.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface GcRequest {
  policy: GcConfig;
  /** Suffixes of branches that are gone: all their pseudo versions go. */
  goneBranches: string[];
  now: Date;
}

/** Why a pseudo version goes, or undefined when it stays. */
export interface Verdict {
  uid: string;
  reason: string;
}

/**
 * Which published pseudo versions the policy lets go: every one of a gone branch, and of the others those beyond the
 * newest `keepPseudo` of their suffix that are also older than `keepPseudoDays`. Releases are never among them. The
 * age is the `published` time the table carries as metadata; a table without it counts as new, and stays.
 */
export async function selectGarbage(ctx: LifecycleContext, request: GcRequest): Promise<Verdict[]> {
  const index = await ctx.store.get(VERSIONS_KEY);
  const { pseudo } = index ? parseVersionsIndex(index.body.toString('utf8')) : EMPTY_INDEX;
  const gone = new Set(request.goneBranches.map(branchSuffix));
  const seen = new Map<string, number>();
  const verdicts: Verdict[] = [];
  for (const uid of pseudo) {
    const suffix = parseUid(uid).version.suffix!;
    const rank = seen.get(suffix) ?? 0;
    seen.set(suffix, rank + 1);
    if (gone.has(suffix)) {
      verdicts.push({ uid, reason: `the branch ${suffix} is gone` });
      continue;
    }
    if (rank < request.policy.keepPseudo) continue;
    const published = Date.parse((await ctx.store.head(tableKey(uid)))?.metadata.published ?? '');
    const ageDays = (request.now.getTime() - published) / DAY_MS;
    if (Number.isNaN(ageDays) || ageDays < request.policy.keepPseudoDays) continue;
    verdicts.push({ uid, reason: `older than the newest ${request.policy.keepPseudo} of ${suffix} and ${Math.floor(ageDays)} days old` });
  }
  return verdicts;
}

/** The suffix a branch's builds publish under: lower-case, every other character a single dash. */
export function branchSuffix(branch: string): string {
  return branch.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** Plans (and with `apply`, deletes) each selected uid in turn, and returns the report delete prints, per uid. */
export async function collectGarbage(ctx: LifecycleContext, verdicts: Verdict[], apply: boolean): Promise<string> {
  let report = `gc: ${verdicts.length} pseudo version${verdicts.length === 1 ? '' : 's'} to delete${apply ? '' : ' (a dry run: --apply deletes)'}\n`;
  for (const { uid, reason } of verdicts) {
    const options: CloudOptions = { version: parseUid(uid).version };
    const plan: DeletionPlan = await planDeletion(ctx, uid, options);
    if (apply) await applyDeletion(ctx, plan, options);
    report += `# ${reason}\n${formatDeletion(plan, apply)}`;
  }
  return report;
}
