export interface RateLimiterOptions {
  /** Sustained rate allowed per key. */
  perSecond: number;
  /** Requests allowed at once after a quiet period. @default twice `perSecond`, at least 1 */
  burst?: number;
  /** Keys tracked at most; the least recently seen are forgotten first (bounded memory). @default 100000 */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A token bucket per key (user id, client IP), refilled continuously. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;

  constructor({ perSecond, burst = Math.max(1, perSecond * 2), maxKeys = 100_000 }: RateLimiterOptions) {
    this.perMs = perSecond / 1000;
    this.burst = burst;
    this.maxKeys = maxKeys;
  }

  /**
   * Takes `count` requests for `key` at once: 0 if allowed (all counted), else how many ms until they
   * would be (none counted). More than the burst is never allowed (see `RateLimit.take`).
   */
  take(key: string, count = 1, now = Date.now()): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    // Re-inserting keeps the map in least-recently-seen order for eviction.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= count) {
      bucket.tokens -= count;
      return 0;
    }
    // Over the burst: the wait until the bucket is full, which will not be enough either.
    return Math.max(1, Math.ceil((Math.min(count, this.burst) - bucket.tokens) / this.perMs));
  }
}
