import { parsePrefix, type Prefix } from './prefix.js';
import { subtractPrefixes, type PrefixSet } from './prefix-set.js';

/**
 * Applies the allowlist to listed prefixes at read time (the allowlist can change after a
 * listing was accepted): a prefix inside an allowlisted one is dropped, and one that contains
 * allowlisted addresses is replaced by the CIDR prefixes covering the rest, so those addresses
 * stay reachable.
 */
export function* carveAllowlisted<R extends { readonly prefix: string }>(
  rows: Iterable<R>,
  allowlist: PrefixSet,
): Generator<R & { readonly carvedFrom?: string }> {
  if (allowlist.size === 0) {
    yield* rows;
    return;
  }
  for (const row of rows) {
    const parsed = parsePrefix(row.prefix);
    if (!parsed.ok) continue;
    const p: Prefix = parsed.prefix;
    if (allowlist.covering(p)) continue;
    const holes = allowlist.inside(p);
    if (holes.length === 0) {
      yield row;
      continue;
    }
    for (const piece of subtractPrefixes(p, holes)) yield { ...row, prefix: piece.text, carvedFrom: row.prefix };
  }
}
