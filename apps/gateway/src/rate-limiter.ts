/** Token buckets: one per connection for its events, and keyed ones (per address, per user) for rarer actions. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `ratePerSec` on average, bursts up to `burst` (default twice the rate). */
  constructor(
    private readonly ratePerSec: number,
    private readonly burst = ratePerSec * 2,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens if there are that many. */
  take(n = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * A bucket per key (a client address, a user id), created on first use. At most `maxKeys` are kept; the
 * least recently used are forgotten first (a forgotten key starts again with a full bucket), so the map
 * cannot grow without bound.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly maxKeys = 50_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string, n = 1): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      bucket = new TokenBucket(this.ratePerSec, this.burst, this.now);
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    return bucket.take(n);
  }
}
