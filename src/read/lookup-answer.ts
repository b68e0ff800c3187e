import { SpamxError } from '../core/errors.js';
import type { Origin } from '../core/origin.js';
import type { ListingFacts } from '../core/lookup-index.js';
import type { LookupSource, SourceState } from '../core/lookup-source.js';
import { parsePrefix, type Prefix } from '../core/prefix.js';
import type { Policy } from '../core/policy.js';
import { specialPurposeRange } from '../core/special-purpose.js';
import { formatTimestamp } from '../core/time.js';
import { TLP_RED, tlpName, type TlpLabel } from '../core/tlp.js';

const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/**
 * What a lookup's caller may see of the labels (core/tlp.ts): pieces and listings above
 * `maxRank` are left out, and a stored prefix with such an active listing is left out whole, so
 * the address answers as not listed rather than half listed. The operator (`showTlp`) sees every
 * label, named on each piece and source (all but green, the default).
 */
export interface LookupView {
  readonly maxRank: number;
  readonly showTlp: boolean;
}

export const OPERATOR_VIEW: LookupView = { maxRank: TLP_RED, showTlp: true };
/** An anonymous reader's, a whole-list key's, the public page's: clear and green only. */
export const EVERYONE_VIEW: LookupView = { maxRank: 1, showTlp: false };

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
  view: LookupView = OPERATOR_VIEW,
) {
  const parsed = parsePrefix(text);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) {
    throw new SpamxError('BAD_REQUEST', `"${text}" is not an IP address`);
  }
  const address = parsed.prefix;
  const facts = source.facts(address);
  const { maxRank, showTlp } = view;
  const sees = (rank: number | undefined) => (rank ?? 1) <= maxRank;
  const visibleListings = maxRank >= TLP_RED ? facts.listings : facts.listings.filter((m) => m.sources.every((row) => sees(row.tlp) || !isActive(row, now)));
  const matches = visibleListings.map((m) => {
    const rows = maxRank >= TLP_RED ? m.sources : m.sources.filter((row) => sees(row.tlp));
    const sources = rows.map((row) => toSource(row, source.leafHash(row.publisher, row.seq), now, batchUrl, showTlp));
    return { prefix: m.prefix, sources, listed: sources.some((s) => s.state === 'active') };
  });
  const pieces = maxRank >= TLP_RED ? facts.pieces : facts.pieces.filter((p) => sees(p.tlp));
  const listed = pieces.length > 0;
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
    listedBy: pieces.map((p) => ({
      prefix: p.prefix,
      sources: p.sources.split(' '),
      expires: formatTimestamp(p.expires),
      ...labelOf(showTlp, p.tlp),
    })),
    allowlisted: allowlistedBy ? allowlistedBy.text : null,
    specialPurpose: special ? `${special.prefix.text} (${special.name})` : null,
    matches,
    refusals,
    notListedBecause,
  };
}

export type LookupResult = ReturnType<typeof lookupAddress>;

/**
 * The operator's answers name every label but green, the default: an answer about a store
 * without labels is the one it always was, and the same as an anonymous reader's.
 */
function labelOf(showTlp: boolean, rank: number | undefined): { tlp?: TlpLabel } {
  return showTlp && rank !== undefined && rank !== 1 ? { tlp: tlpName(rank) } : {};
}

function isActive(row: ListingFacts, now: number): boolean {
  return row.op === 'list' && (row.expires ?? 0) > now;
}

function toSource(row: ListingFacts, leafHash: string | null, now: number, batchUrl: (publisher: string, seq: number) => string, showTlp: boolean) {
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
    ...labelOf(showTlp, row.tlp),
  };
}
