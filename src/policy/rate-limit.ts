export interface RateLimitOptions {
  /** Requests allowed at once. */
  burst: number;
  /** Requests regained per second, up to `burst`. */
  perSecond: number;
  now?: () => number;
  /** Buckets kept before the full ones (idle members) are forgotten. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per key (a member): `burst` requests at once, then `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Spends one request of `key`'s allowance; false when there is none left. */
  take(key: string): boolean {
    const now = this.now();
    const tokens = this.tokensOf(key, now);
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    if (this.buckets.size > (this.options.maxKeys ?? 10_000)) this.forgetFull(now);
    return allowed;
  }

  private tokensOf(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.options.burst;
    return Math.min(this.options.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.options.perSecond);
  }

  private forgetFull(now: number): void {
    for (const key of [...this.buckets.keys()]) if (this.tokensOf(key, now) >= this.options.burst) this.buckets.delete(key);
  }
}
