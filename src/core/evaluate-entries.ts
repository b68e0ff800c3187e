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
  private readonly seen = new Set<string>();

  constructor(private readonly policy: Policy) {}

  /** The entry at batch position `index` when this node acts on it, else undefined (refused). */
  evaluate(raw: unknown, index: number): Entry | undefined {
    const check = checkEntry(raw);
    if (!check.ok) {
      this.refused.push({ index, code: check.code, reason: check.reason, prefixText: check.prefixText });
      return undefined;
    }
    const entry = check.entry;
    const text = entry.prefix.text;
    if (this.seen.has(text)) {
      this.refused.push({ index, code: 'PREFIX_DUPLICATE', reason: `${text} already appeared earlier in this batch`, prefixText: text });
      return undefined;
    }
    this.seen.add(text);
    if (entry.op === 'list') {
      const refusal = policyRefusal(entry.prefix, this.policy);
      if (refusal) {
        this.refused.push({ index, ...refusal });
        return undefined;
      }
    }
    return entry;
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
