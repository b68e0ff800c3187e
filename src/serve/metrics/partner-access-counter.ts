import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import type { Store } from '../../store/open-store.js';
import { flushPartnerAccess, type PartnerAccessDelta } from '../../store/partner-access-store.js';
import { PeriodicFlush } from './periodic-flush.js';

/**
 * Requests to the batch routes per requester and outcome (serve/partner-access.ts), counted in
 * memory and added to `partner_access` about once a minute and when the node stops, as
 * subscriber usage is: the operator's view of each partner's access state (issue 16, item 4).
 */
export class PartnerAccessCounter {
  private counts = new Map<string, { partner: string; outcome: string; count: number; lastAt: number }>();
  private readonly timer = new PeriodicFlush(60_000, () => this.flush());

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  count(partner: string, outcome: string, now: number): void {
    const key = `${partner}\n${outcome}`;
    const c = this.counts.get(key);
    if (c) {
      c.count++;
      c.lastAt = now;
    } else this.counts.set(key, { partner, outcome, count: 1, lastAt: now });
  }

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** Writes the counts so far; a failed write keeps them for the next flush. */
  flush(): void {
    if (this.counts.size === 0) return;
    const deltas: PartnerAccessDelta[] = [...this.counts.values()];
    const kept = this.counts;
    this.counts = new Map();
    try {
      flushPartnerAccess(this.store, deltas);
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'partner access counts not written; kept for the next flush');
      for (const [key, d] of kept) {
        const c = this.counts.get(key);
        if (c) {
          c.count += d.count;
          c.lastAt = Math.max(c.lastAt, d.lastAt);
        } else this.counts.set(key, d);
      }
    }
  }
}
