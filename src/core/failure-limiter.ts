/**
 * Counts failures (wrong API keys) per client, as a token bucket each: `burst` failures at once,
 * then `perMinute`. Memory is bounded: at most `maxClients` buckets, the least recently failing
 * dropped first (a Map keeps insertion order, and a bucket is re-inserted when it fails). Only
 * failures are counted, so a client that authenticates never gets a bucket. Pure: the time is
 * passed in.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly maxClients: number,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string, now: number): number {
    const bucket = this.buckets.get(client);
    if (!bucket) return 0;
    const tokens = this.refill(bucket, now);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.refillPerMs / 1000));
  }

  /** Counts one failure of `client`. */
  fail(client: string, now: number): void {
    const bucket = this.buckets.get(client);
    const tokens = bucket ? this.refill(bucket, now) : this.burst;
    this.buckets.delete(client);
    if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(client, { tokens: tokens - 1, at: now });
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.refillPerMs);
  }
}
