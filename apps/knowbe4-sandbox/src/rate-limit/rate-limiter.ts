import type { RateLimitProfile, TenantStore } from '../store/tenant-store';

export type Surface = 'reporting' | 'scim';

export interface RateDecision {
  allowed: boolean;
  /** Headers to add to the response (only the `seed` profile has any). */
  headers: Record<string, string>;
}

/** KnowBe4's documented Reporting limits: 4/s, 50 per rolling minute, 2,000 + licensed users per daily window. */
export const DOCUMENTED = { perSecond: 4, perMinute: 50, dailyBase: 2000 } as const;
/** The Stitchflow seed's limit: 1,000 per minute per key with X-RateLimit-* headers. */
export const SEED_PER_MINUTE = 1000;
/** SCIM limits are undocumented; the sandbox allows 600 per rolling minute per token (documented profile). */
export const SCIM_PER_MINUTE = 600;
const DAY_MS = 86_400_000;

class Bucket {
  /** Times of accepted requests in the last minute, oldest first. */
  recent: number[] = [];
  dayStart = 0;
  dayCount = 0;

  prune(now: number, minuteMs: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop] <= now - minuteMs) drop++;
    if (drop) this.recent.splice(0, drop);
  }

  countSince(since: number): number {
    let n = 0;
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i] > since; i--) n++;
    return n;
  }
}

/**
 * Per-tenant, per-surface request budgets; the clock is injectable for tests. `timeScale` (fleet benchmarks,
 * `TIME_SCALE`) compresses every window: at 60 a second lasts 1/60 s, a minute 1 s and the daily window 24 min.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly secondMs: number;
  private readonly minuteMs: number;
  private readonly dayMs: number;

  constructor(
    private readonly clock: () => number = Date.now,
    readonly timeScale = 1,
  ) {
    if (!(timeScale >= 1)) throw new RangeError('timeScale must be at least 1');
    this.secondMs = 1000 / timeScale;
    this.minuteMs = 60_000 / timeScale;
    this.dayMs = DAY_MS / timeScale;
  }

  take(tenant: Pick<TenantStore, 'id' | 'options' | 'userCount'>, surface: Surface): RateDecision {
    const profile: RateLimitProfile = tenant.options.rateLimitProfile;
    if (profile === 'off') return { allowed: true, headers: {} };
    const now = this.clock();
    const key = `${tenant.id}:${surface}:${surface === 'reporting' ? tenant.options.reportingApiKey : tenant.options.scimToken}`;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new Bucket()));
    bucket.prune(now, this.minuteMs);
    if (profile === 'seed') {
      const used = bucket.recent.length;
      if (used >= SEED_PER_MINUTE) return { allowed: false, headers: seedHeaders(0) };
      bucket.recent.push(now);
      return { allowed: true, headers: seedHeaders(SEED_PER_MINUTE - used - 1) };
    }
    if (surface === 'scim') {
      if (bucket.recent.length >= SCIM_PER_MINUTE) return { allowed: false, headers: {} };
      bucket.recent.push(now);
      return { allowed: true, headers: {} };
    }
    // The daily window opens with the first request after the previous window ran out.
    if (now - bucket.dayStart >= this.dayMs) {
      bucket.dayStart = now;
      bucket.dayCount = 0;
    }
    const daily = DOCUMENTED.dailyBase + tenant.userCount();
    const allowed =
      bucket.countSince(now - this.secondMs) < DOCUMENTED.perSecond &&
      bucket.recent.length < DOCUMENTED.perMinute &&
      bucket.dayCount < daily;
    if (allowed) {
      bucket.recent.push(now);
      bucket.dayCount++;
    }
    return { allowed, headers: {} };
  }

  reset(tenantId: string): void {
    for (const key of [...this.buckets.keys()]) if (key.startsWith(`${tenantId}:`)) this.buckets.delete(key);
  }
}

const seedHeaders = (remaining: number): Record<string, string> => ({
  'X-RateLimit-Limit': String(SEED_PER_MINUTE),
  'X-RateLimit-Remaining': String(Math.max(0, remaining)),
});
