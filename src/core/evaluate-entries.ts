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
 * PROTOCOL "Validity and local policy", question 2, for every entry of an authentic batch:
 * well-formed, valid prefix, first mention of the prefix in this batch, then local policy.
 * Delist entries only need to be well-formed: withdrawing a listing never needs permission,
 * and refusing one would keep a stale listing alive after the allowlist changed.
 */
export function evaluateEntries(entries: readonly unknown[], rules: EvaluationRules): EntryEvaluation {
  const accepted: Entry[] = [];
  const acceptedIndexes: number[] = [];
  const refused: IndexedRefusal[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < entries.length; index++) {
    const check = checkEntry(entries[index]);
    if (!check.ok) {
      refused.push({ index, code: check.code, reason: check.reason, prefixText: check.prefixText });
      continue;
    }
    const entry = check.entry;
    if (seen.has(entry.prefix.text)) {
      refused.push({ index, code: 'PREFIX_DUPLICATE', reason: `${entry.prefix.text} already appeared earlier in this batch`, prefixText: entry.prefix.text });
      continue;
    }
    seen.add(entry.prefix.text);
    if (entry.op === 'list') {
      const refusal = policyRefusal(entry.prefix, rules.policy);
      if (refusal) {
        refused.push({ index, ...refusal });
        continue;
      }
      accepted.push(entry.expires > rules.expiryCap ? { ...entry, expires: rules.expiryCap } : entry);
    } else {
      accepted.push(entry);
    }
    acceptedIndexes.push(index);
  }
  return { accepted, acceptedIndexes, refused };
}
