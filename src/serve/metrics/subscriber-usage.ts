import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import type { Store } from '../../store/open-store.js';
import { flushSubscriberUsage, type SubscriberUsageDelta } from '../../store/subscriber-usage-store.js';
import { flushMirrorPolls } from '../../store/mirror-poll-store.js';
import { PeriodicFlush } from './periodic-flush.js';

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
  private mirrors = new Map<number, { at: number; agent: string }>();
  private readonly timer = new PeriodicFlush(FLUSH_MS, () => this.flush());

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

  /**
   * A change-stream poll by `spamx mirror` (its User-Agent, `spamx-mirror/<version>`) with
   * subscriber `id`'s key: kept in memory, written with the counts (store/mirror-poll-store.ts).
   */
  mirrorPoll(id: number, agent: string, now: number): void {
    this.mirrors.set(id, { at: now, agent });
  }

  /** Writes the mirrors' last polls noted since the last flush (`spamx status` reads them from the store). */
  flushMirrorPolls(): void {
    if (this.mirrors.size === 0) return;
    const polls = [...this.mirrors].map(([subscriberId, p]) => ({ subscriberId, ...p }));
    this.mirrors = new Map();
    try {
      flushMirrorPolls(this.store, polls);
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'mirror polls not written; kept for the next flush');
      for (const p of polls) if ((this.mirrors.get(p.subscriberId)?.at ?? -1) < p.at) this.mirrors.set(p.subscriberId, { at: p.at, agent: p.agent });
    }
  }

  /** Flushes every minute. */
  start(): void {
    this.timer.start();
  }

  /** Stops the timer and writes what was counted since the last flush. */
  stop(): void {
    this.timer.stop();
  }

  /** Writes the counts so far (and prunes old hours); a failed write keeps them for the next. */
  flush(): void {
    this.flushMirrorPolls();
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
