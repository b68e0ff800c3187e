import type { EntryRefusal } from './entry.js';
import type { Prefix } from './prefix.js';
import type { PrefixSet } from './prefix-set.js';
import { specialPurposeRange } from './special-purpose.js';

/** A node's local rules for acting on a prefix (PROTOCOL "Validity and local policy", question 2). */
export interface Policy {
  readonly minPrefixLength: { readonly 4: number; readonly 6: number };
  readonly allowlist: PrefixSet;
}

/**
 * Why this node will not list `p`, or null when it may. Order follows PROTOCOL: special-purpose
 * space, then the allowlist, then the minimum length. Quotas depend on stored state and are
 * checked in the store.
 */
export function policyRefusal(p: Prefix, policy: Policy): EntryRefusal | null {
  const special = specialPurposeRange(p);
  if (special) {
    return {
      code: 'PREFIX_SPECIAL_PURPOSE',
      reason: `${p.text} overlaps special-purpose ${special.prefix.text} (${special.name})`,
      prefixText: p.text,
    };
  }
  const allowed = policy.allowlist.size > 0 ? policy.allowlist.covering(p) : undefined;
  if (allowed) {
    return { code: 'PREFIX_ALLOWLISTED', reason: `${p.text} is inside allowlisted ${allowed.text}`, prefixText: p.text };
  }
  const min = policy.minPrefixLength[p.family];
  if (p.length < min) {
    return {
      code: 'PREFIX_TOO_SHORT',
      reason: `${p.text} is shorter than the minimum /${min} for IPv${p.family}`,
      prefixText: p.text,
    };
  }
  return null;
}
