import { checkEntry, type Entry, type EntryRefusal } from './entry.js';
import { policyRefusal, type Policy } from './policy.js';

export interface IndexedRefusal extends EntryRefusal {
  /** Position of the entry in the batch (0-based). */
  readonly index: number;
}

export interface EntryEvaluation {
  readonly accepted: Entry[];
  /** Batch position of each accepted entry, parallel to `accepted`. */
  readonly acceptedIndexes: number[];
  readonly refused: IndexedRefusal[];
}

export interface EvaluationRules {
  readonly policy: Policy;
  /** Latest `expires` this node honours, as an absolute time: entries beyond it are capped. */
  readonly expiryCap: number;
}

/**
 * PROTOCOL "Validity and local policy", question 2, one entry at a time, in batch order:
 * well-formed, valid prefix, first mention of the prefix in this batch, then local policy.
 * Delist entries only need to be well-formed: withdrawing a listing never needs permission,
 * and refusing one would keep a stale listing alive after the allowlist changed. Refusals
 * collect in `refused`; the expiry cap is the caller's (it needs the batch's issuedAt).
 */
export class EntryEvaluator {
  readonly refused: IndexedRefusal[] = [];
  /** IPv4 prefixes by number (see V4PrefixSet), IPv6 ones by canonical text. */
  private readonly seen4 = new V4PrefixSet();
  private readonly seen6 = new Set<string>();

  constructor(private readonly policy: Policy) {}

  /** The entry at batch position `index` when this node acts on it, else undefined (refused). */
  evaluate(raw: unknown, index: number): Entry | undefined {
    const check = checkEntry(raw);
    if (!check.ok) {
      this.refused.push({ index, code: check.code, reason: check.reason, prefixText: check.prefixText });
      return undefined;
    }
    const entry = check.entry;
    const prefix = entry.prefix;
    const first = prefix.family === 4 ? this.seen4.add(prefix.start as number, prefix.length) : addNew(this.seen6, prefix.text);
    if (!first) {
      const text = prefix.text;
      this.refused.push({ index, code: 'PREFIX_DUPLICATE', reason: `${text} already appeared earlier in this batch`, prefixText: text });
      return undefined;
    }
    if (entry.op === 'list') {
      const refusal = policyRefusal(prefix, this.policy);
      if (refusal) {
        this.refused.push({ index, ...refusal });
        return undefined;
      }
    }
    return entry;
  }
}

function addNew(set: Set<string>, text: string): boolean {
  if (set.has(text)) return false;
  set.add(text);
  return true;
}

/**
 * A set of IPv4 prefixes as (start, length) pairs, open addressing over typed arrays. An IPv4
 * prefix's text and its pair name each other, so this answers as a Set of texts would; but a
 * Set<string> hashed each entry's fresh prefix string and grew a 100,000-entry hash table:
 * EntryEvaluator on a 100,000-entry batch took 16 ms with this, 37 with the Set. The hash
 * multiplier is drawn per process, so a peer cannot make a batch whose prefixes all collide.
 */
export class V4PrefixSet {
  private starts = new Int32Array(1024);
  /** Length + 1 per slot; 0 marks an empty slot. */
  private tags = new Uint8Array(1024);
  private shift = 22; // 32 - log2(capacity)
  private size = 0;
  private readonly multiplier = (Math.floor(Math.random() * 0x80000000) * 2 + 1) | 0;

  /** Adds the prefix; false when it was already in the set. */
  add(start: number, length: number): boolean {
    if (this.size * 2 >= this.tags.length) this.grow();
    const s = start | 0;
    const tag = length + 1;
    let slot = this.slotOf(s, tag);
    for (;;) {
      const t = this.tags[slot]!;
      if (t === 0) break;
      if (t === tag && this.starts[slot] === s) return false;
      slot = (slot + 1) & (this.tags.length - 1);
    }
    this.starts[slot] = s;
    this.tags[slot] = tag;
    this.size++;
    return true;
  }

  private slotOf(s: number, tag: number): number {
    return Math.imul(s ^ Math.imul(tag, 0x27d4eb2d), this.multiplier) >>> this.shift;
  }

  /** Four times the slots: a 100,000-entry batch rehashes a third of its prefixes, not all (1.8 → 0.8 ms). */
  private grow(): void {
    const starts = this.starts;
    const tags = this.tags;
    this.starts = new Int32Array(starts.length * 4);
    this.tags = new Uint8Array(tags.length * 4);
    this.shift -= 2;
    const mask = this.tags.length - 1;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i]!;
      if (tag === 0) continue;
      let slot = this.slotOf(starts[i]!, tag);
      while (this.tags[slot] !== 0) slot = (slot + 1) & mask;
      this.starts[slot] = starts[i]!;
      this.tags[slot] = tag;
    }
  }
}

/** EntryEvaluator over a whole batch's entries, with `expires` capped. */
export function evaluateEntries(entries: readonly unknown[], rules: EvaluationRules): EntryEvaluation {
  const evaluator = new EntryEvaluator(rules.policy);
  const accepted: Entry[] = [];
  const acceptedIndexes: number[] = [];
  for (let index = 0; index < entries.length; index++) {
    const entry = evaluator.evaluate(entries[index], index);
    if (!entry) continue;
    accepted.push(entry.op === 'list' && entry.expires > rules.expiryCap ? { ...entry, expires: rules.expiryCap } : entry);
    acceptedIndexes.push(index);
  }
  return { accepted, acceptedIndexes, refused: evaluator.refused };
}
