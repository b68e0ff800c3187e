import { SpamxError } from '../core/errors.js';
import type { Origin } from '../core/origin.js';
import type { ListingFacts } from '../core/lookup-index.js';
import type { LookupSource, SourceState } from '../core/lookup-source.js';
import { parsePrefix, type Prefix } from '../core/prefix.js';
import type { Policy } from '../core/policy.js';
import { specialPurposeRange } from '../core/special-purpose.js';
import { formatTimestamp } from '../core/time.js';

const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/**
 * Everything the node knows about one address: whether the served (effective) list covers it
 * and by which pieces; every stored prefix containing it, each source's latest op with the batch
 * that said so; and, when it is not listed though someone reported it, why: allowlisted,
 * refused by policy, expired or delisted.
 */
export function lookupAddress(
  source: LookupSource,
  text: string,
  now: number,
  policy: Policy,
  batchUrl: (publisher: string, seq: number) => string,
  originOf: (address: Prefix) => Origin,
) {
  const parsed = parsePrefix(text);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) {
    throw new SpamxError('BAD_REQUEST', `"${text}" is not an IP address`);
  }
  const address = parsed.prefix;
  const facts = source.facts(address);
  const matches = facts.listings.map((m) => {
    const sources = m.sources.map((row) => toSource(row, source.leafHash(row.publisher, row.seq), now, batchUrl));
    return { prefix: m.prefix, sources, listed: sources.some((s) => s.state === 'active') };
  });
  const listed = facts.pieces.length > 0;
  const allowlistedBy = policy.allowlist.size > 0 ? policy.allowlist.covering(address) : undefined;
  const refusals = listed || facts.refused.length === 0 ? [] : source.refusals(facts.refused).map((r) => ({ ...r, at: time(r.at) }));
  const special = specialPurposeRange(address);
  const notListedBecause: string[] = [];
  if (!listed) {
    if (allowlistedBy) notListedBecause.push(`allowlisted by ${allowlistedBy.text}`);
    if (special) notListedBecause.push(`special-purpose address space ${special.prefix.text} (${special.name})`);
    for (const r of refusals) notListedBecause.push(`${r.publisher}'s report of ${r.prefix} was refused: ${r.code}`);
    for (const m of matches) {
      for (const s of m.sources) {
        if (s.state === 'expired') notListedBecause.push(`${s.publisher}'s listing of ${m.prefix} expired at ${s.expires}`);
        if (s.state === 'delisted') notListedBecause.push(`${s.publisher} delisted ${m.prefix}${s.reason ? ` (${s.reason})` : ''}`);
      }
    }
  }
  const addressText = address.text.slice(0, address.text.lastIndexOf('/'));
  return {
    address: addressText,
    // Where the address is registered (PROTOCOL "Additions: origins"): whose network it is.
    origin: originOf(address),
    listed,
    listedBy: facts.pieces.map((p) => ({ prefix: p.prefix, sources: p.sources.split(' '), expires: formatTimestamp(p.expires) })),
    allowlisted: allowlistedBy ? allowlistedBy.text : null,
    specialPurpose: special ? `${special.prefix.text} (${special.name})` : null,
    matches,
    refusals,
    notListedBecause,
  };
}

export type LookupResult = ReturnType<typeof lookupAddress>;

function toSource(row: ListingFacts, leafHash: string | null, now: number, batchUrl: (publisher: string, seq: number) => string) {
  const state: SourceState = row.op === 'delist' ? 'delisted' : (row.expires ?? 0) > now ? 'active' : 'expired';
  return {
    publisher: row.publisher,
    state,
    firstSeen: time(row.firstSeen),
    lastSeen: time(row.lastSeen),
    reports: row.reports,
    expires: time(row.expires),
    category: row.category,
    reason: row.reason,
    batch: { publisher: row.publisher, seq: row.seq, leafHash, url: batchUrl(row.publisher, row.seq) },
  };
}
