import { DEFAULT_CATEGORY, type Entry } from './entry.js';
import { parsePrefix } from './prefix.js';
import type { QueuedReport } from './report.js';

const LIST = 0;
const DELIST = 1;

/**
 * Folds queued reports, in queue order, into one entry per prefix (PROTOCOL "Batch": a prefix
 * at most once per batch), up to a batch's worth of prefixes. Reports of one prefix merge:
 * earliest firstSeen, latest lastSeen, summed reports, latest expiry. A delist discards what was
 * queued before it; a report after a delist lists the prefix again.
 *
 * Held in columns (a prefix's canonical text and a slot in typed arrays), not as 100,000 entry
 * objects with their parsed prefixes: those outlived the young generation and made the heap of
 * a publish of 500,000 reports grow by some 30 MB a batch (test/bench/README.md "Reports of
 * 500,000 lines"). Entries are made again, one at a time, as they are read out.
 */
export class ReportMerger {
  private readonly slots = new Map<string, number>();
  private ops = new Uint8Array(1024);
  /** Per slot: firstSeen, lastSeen, reports, expires. */
  private numbers = new Float64Array(1024 * 4);
  private texts: string[] = [];
  private categories: string[] = [];
  private reasons: (string | null)[] = [];

  constructor(
    private readonly defaultExpiryMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Adds a report; false (and nothing changed) when it needs a new entry and the batch is full. */
  add(r: QueuedReport): boolean {
    const key = r.prefix.text;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.maxEntries) return false;
      slot = this.slots.size;
      if (slot === this.ops.length) this.grow();
      this.slots.set(key, slot);
      this.texts.push(key);
      this.categories.push(DEFAULT_CATEGORY);
      this.reasons.push(null);
      this.ops[slot] = DELIST;
      this.write(slot, r, true);
      return true;
    }
    this.write(slot, r, false);
    return true;
  }

  /** Forgets every entry (a batch's worth of them, once its payload is written). */
  clear(): void {
    this.slots.clear();
    this.texts = [];
    this.categories = [];
    this.reasons = [];
  }

  entries(): Entry[] {
    return [...this.values()];
  }

  /** The merged entries in the order their prefixes were first added, each made as it is read. */
  *values(): Generator<Entry> {
    const n = this.slots.size;
    for (let i = 0; i < n; i++) {
      const parsed = parsePrefix(this.texts[i]!);
      if (!parsed.ok) continue; // unreachable: only canonical prefixes are queued
      const prefix = parsed.prefix;
      if (this.ops[i] === DELIST) {
        yield { op: 'delist', prefix, reason: this.reasons[i]! };
        continue;
      }
      const at = i * 4;
      const [firstSeen, lastSeen, reports, expires] = [this.numbers[at]!, this.numbers[at + 1]!, this.numbers[at + 2]!, this.numbers[at + 3]!];
      yield { op: 'list', prefix, firstSeen, lastSeen, reports, expires, category: this.categories[i]! };
    }
  }

  private write(slot: number, r: QueuedReport, fresh: boolean): void {
    if (r.op === 'delist') {
      this.ops[slot] = DELIST;
      this.reasons[slot] = r.reason;
      return;
    }
    const at = slot * 4;
    const expires = r.expires ?? r.lastSeen + this.defaultExpiryMs;
    if (fresh || this.ops[slot] === DELIST) {
      this.ops[slot] = LIST;
      this.numbers.set([r.firstSeen, r.lastSeen, r.reports, expires], at);
      this.categories[slot] = r.category ?? DEFAULT_CATEGORY;
      return;
    }
    const n = this.numbers;
    n[at] = Math.min(n[at]!, r.firstSeen);
    n[at + 1] = Math.max(n[at + 1]!, r.lastSeen);
    n[at + 2] = n[at + 2]! + r.reports;
    n[at + 3] = Math.max(n[at + 3]!, expires);
    if (r.category !== null) this.categories[slot] = r.category;
  }

  private grow(): void {
    const ops = new Uint8Array(this.ops.length * 2);
    ops.set(this.ops);
    const numbers = new Float64Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.ops = ops;
    this.numbers = numbers;
  }
}
