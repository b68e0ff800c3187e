import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import type { Store } from '../../store/open-store.js';
import { flushSubscriberUsage, type SubscriberUsageDelta } from '../../store/subscriber-usage-store.js';

/** How often counted use is written to the store. */
const FLUSH_MS = 60_000;

/**
 * Each subscriber key's requests and 429s, counted in memory as subscriber-access.ts admits or
 * limits them, and written to `subscriber_usage` (store/subscriber-usage-store.ts) about once a
 * minute and when the node stops: a write a minute, not one per request. What a crash loses is
 * at most a minute of counts, which are statistics, not accounts.
 */
export class SubscriberUsageCounter {
  private counts = new Map<number, { requests: number; limited: number; lastUsedAt: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {}

  /** A request admitted for subscriber `id` at `now`. */
  request(id: number, now: number): void {
    const c = this.counts.get(id);
    if (c) {
      c.requests++;
      c.lastUsedAt = now;
    } else this.counts.set(id, { requests: 1, limited: 0, lastUsedAt: now });
  }

  /** A request of subscriber `id` answered 429 at `now` (it used the key too). */
  limited(id: number, now: number): void {
    const c = this.counts.get(id);
    if (c) {
      c.limited++;
      c.lastUsedAt = now;
    } else this.counts.set(id, { requests: 0, limited: 1, lastUsedAt: now });
  }

  /** Flushes every minute; the timer never keeps the process alive. */
  start(): void {
    this.stop();
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Stops the timer and writes what was counted since the last flush. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  /** Writes the counts so far (and prunes old hours); a failed write keeps them for the next. */
  flush(): void {
    // Nothing counted, nothing written (the pruning waits for the next use).
    if (this.counts.size === 0) return;
    const deltas: SubscriberUsageDelta[] = [...this.counts].map(([subscriberId, c]) => ({ subscriberId, ...c }));
    this.counts = new Map();
    try {
      flushSubscriberUsage(this.store, deltas, this.clock());
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'subscriber usage not written; kept for the next flush');
      for (const d of deltas) {
        const c = this.counts.get(d.subscriberId);
        if (c) {
          c.requests += d.requests;
          c.limited += d.limited;
          c.lastUsedAt = Math.max(c.lastUsedAt, d.lastUsedAt);
        } else this.counts.set(d.subscriberId, { requests: d.requests, limited: d.limited, lastUsedAt: d.lastUsedAt });
      }
    }
  }
}
