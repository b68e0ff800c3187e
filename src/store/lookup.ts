import { SpamxError } from '../core/errors.js';
import { coveringPrefixes, parsePrefix } from '../core/prefix.js';
import type { Policy } from '../core/policy.js';
import { specialPurposeRange } from '../core/special-purpose.js';
import { formatTimestamp } from '../core/time.js';
import { listingsByKeys } from './merged-query.js';
import type { Store } from './open-store.js';

export type SourceState = 'active' | 'expired' | 'delisted';

/**
 * Everything the store knows about one address: every stored prefix containing it, each
 * source's latest op with the batch that said so, and whether the address is listed (an active
 * source, and no allowlist entry covering the address).
 */
export function lookupAddress(store: Store, text: string, now: number, policy: Policy, batchUrl: (publisher: string, seq: number) => string) {
  const parsed = parsePrefix(text);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) {
    throw new SpamxError('BAD_REQUEST', `"${text}" is not an IP address`);
  }
  const address = parsed.prefix;
  const allowlistedBy = policy.allowlist.size > 0 ? policy.allowlist.covering(address) : undefined;
  const special = specialPurposeRange(address);
  const rows = listingsByKeys(store, coveringPrefixes(address).map((p) => p.key));
  const byPrefix = new Map<string, ReturnType<typeof toSource>[]>();
  for (const row of rows) {
    const list = byPrefix.get(row.prefix) ?? [];
    list.push(toSource(row, now, batchUrl));
    byPrefix.set(row.prefix, list);
  }
  const matches = [...byPrefix].map(([prefix, sources]) => ({ prefix, listed: sources.some((s) => s.state === 'active'), sources }));
  const anyActive = matches.some((m) => m.listed);
  return {
    address: address.text.replace(/\/(32|128)$/, ''),
    listed: anyActive && !allowlistedBy,
    allowlisted: allowlistedBy ? allowlistedBy.text : null,
    specialPurpose: special ? `${special.prefix.text} (${special.name})` : null,
    matches,
  };
}

function toSource(row: ReturnType<typeof listingsByKeys>[number], now: number, batchUrl: (publisher: string, seq: number) => string) {
  const state: SourceState = row.op === 'delist' ? 'delisted' : (row.expires ?? 0) > now ? 'active' : 'expired';
  const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));
  return {
    publisher: row.publisher,
    state,
    firstSeen: time(row.firstSeen),
    lastSeen: time(row.lastSeen),
    reports: row.reports,
    expires: time(row.expires),
    category: row.category,
    reason: row.reason,
    batch: { publisher: row.publisher, seq: row.seq, leafHash: row.leafHash, url: batchUrl(row.publisher, row.seq) },
  };
}

export type LookupResult = ReturnType<typeof lookupAddress>;
