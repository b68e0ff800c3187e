import { DEFAULT_CATEGORY, type Entry } from './entry.js';
import type { QueuedReport } from './report.js';

/**
 * Folds queued reports, in queue order, into one entry per prefix (PROTOCOL "Batch": a prefix
 * at most once per batch), up to a batch's worth of prefixes. Reports of one prefix merge:
 * earliest firstSeen, latest lastSeen, summed reports, latest expiry. A delist discards what was
 * queued before it; a report after a delist lists the prefix again.
 */
export class ReportMerger {
  private readonly merged = new Map<string, Entry>();

  constructor(
    private readonly defaultExpiryMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.merged.size;
  }

  /** Adds a report; false (and nothing changed) when it needs a new entry and the batch is full. */
  add(r: QueuedReport): boolean {
    const key = r.prefix.text;
    const prior = this.merged.get(key);
    if (prior === undefined && this.merged.size >= this.maxEntries) return false;
    if (r.op === 'delist') {
      this.merged.set(key, { op: 'delist', prefix: r.prefix, reason: r.reason });
      return true;
    }
    const expires = r.expires ?? r.lastSeen + this.defaultExpiryMs;
    if (prior === undefined || prior.op === 'delist') {
      this.merged.set(key, {
        op: 'list',
        prefix: r.prefix,
        firstSeen: r.firstSeen,
        lastSeen: r.lastSeen,
        reports: r.reports,
        expires,
        category: r.category ?? DEFAULT_CATEGORY,
      });
      return true;
    }
    this.merged.set(key, {
      op: 'list',
      prefix: r.prefix,
      firstSeen: Math.min(prior.firstSeen, r.firstSeen),
      lastSeen: Math.max(prior.lastSeen, r.lastSeen),
      reports: prior.reports + r.reports,
      expires: Math.max(prior.expires, expires),
      category: r.category ?? prior.category,
    });
    return true;
  }

  entries(): Entry[] {
    return [...this.merged.values()];
  }
}
