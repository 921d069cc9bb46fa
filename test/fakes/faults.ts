/**
 * Transient faults the cloud fakes inject, the same four everywhere: throttling, a 5xx, a connection dropped in the
 * middle of a request body, a slow answer. Each fake renders them in its cloud's own wire format (EC2's
 * RequestLimitExceeded XML, S3's SlowDown, ARM's 429 with Retry-After and its error JSON, Google's JSON errors).
 */
export type FaultKind = 'throttle' | 'unavailable' | 'reset' | 'slow';

export interface FaultPlan {
  kind: FaultKind;
  /** Which requests the plan applies to; every one when absent. */
  match?: (request: { method: string; path: string }) => boolean;
  /** Every n-th matching request (1-based: 3 means the 3rd, 6th, …); with `times`, only that many. */
  every?: number;
  /** How many matching requests, in a row unless `every` spaces them. Default: unlimited with `every`, else 1. */
  times?: number;
  /** For `slow`: how long the answer takes. */
  delayMs?: number;
}

/** A fault the fake must render now. */
export interface Fault {
  kind: FaultKind;
  delayMs: number;
}

/** The plans of one fake and what they did: `injected` counts each kind, for the tests' assertions. */
export class FaultSchedule {
  private readonly plans: Array<FaultPlan & { seen: number; used: number }> = [];
  readonly injected: Record<FaultKind, number> = { throttle: 0, unavailable: 0, reset: 0, slow: 0 };

  add(plan: FaultPlan): void {
    this.plans.push({ ...plan, seen: 0, used: 0 });
  }

  /** Drops the plans and the counts: a fresh start for the next test. */
  clear(): void {
    this.plans.length = 0;
    for (const kind of Object.keys(this.injected) as FaultKind[]) this.injected[kind] = 0;
  }

  /** The fault for this request, if a plan picks it. */
  next(request: { method: string; path: string }): Fault | undefined {
    for (const plan of this.plans) {
      if (plan.match && !plan.match(request)) continue;
      plan.seen++;
      const limit = plan.times ?? (plan.every ? Infinity : 1);
      if (plan.used >= limit) continue;
      if (plan.every && plan.seen % plan.every !== 0) continue;
      plan.used++;
      this.injected[plan.kind]++;
      return { kind: plan.kind, delayMs: plan.delayMs ?? 2_000 };
    }
    return undefined;
  }
}
