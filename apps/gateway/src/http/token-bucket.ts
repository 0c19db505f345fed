export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export interface TakeResult {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again (or, when refused, until one token is back). */
  resetSeconds: number;
}

/**
 * Per-key token buckets in memory: `limit` tokens, refilled evenly over `windowMs`. One process's view only —
 * several gateway replicas each allow `limit` (documented in the README).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, BucketState>();
  private readonly refillPerMs: number;

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    this.refillPerMs = limit / windowMs;
  }

  /**
   * Seconds until `key` has a whole token again, 0 when it has one now; consumes nothing (a bucket that was never
   * taken from is full). For limits that count only some outcomes, e.g. failed authentications.
   */
  waitSeconds(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.limit, bucket.tokens + (this.now() - bucket.updatedAt) * this.refillPerMs);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.refillPerMs / 1000));
  }

  take(key: string): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(now);
      bucket = { tokens: this.limit, updatedAt: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
      bucket.updatedAt = now;
    }
    if (bucket.tokens < 1) {
      return { allowed: false, limit: this.limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)) };
    }
    bucket.tokens -= 1;
    return {
      allowed: true,
      limit: this.limit,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil((this.limit - bucket.tokens) / this.refillPerMs / 1000),
    };
  }

  // A full bucket carries no information; dropping it is equivalent to keeping it.
  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs >= this.limit) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
