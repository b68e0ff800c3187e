import { SpamxError } from '../core/errors.js';
import { coveringPrefixes, parsePrefix, type Prefix } from '../core/prefix.js';
import type { AddressFacts, ListingFacts } from '../core/lookup-index.js';
import type { Policy } from '../core/policy.js';
import { specialPurposeRange } from '../core/special-purpose.js';
import { formatTimestamp } from '../core/time.js';
import { leafHashOf } from './feed-store.js';
import type { Store } from './open-store.js';

export type SourceState = 'active' | 'expired' | 'delisted';

const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/**
 * Where a lookup's facts come from: the daemon's in-memory LookupIndex (store/lookup-follower.ts)
 * or, for a one-off lookup from the CLI, SQLite directly. Both give the same answer.
 */
export interface LookupSource {
  facts(address: Prefix): AddressFacts;
  /** The leaf hash of a stored batch (batches never change, so it may be cached). */
  leafHash(publisher: string, seq: number): string | null;
  /** The newest refusals (at most 20) naming any of these prefixes. */
  refusals(prefixes: readonly Prefix[]): RefusalRow[];
}

export interface RefusalRow {
  readonly publisher: string;
  readonly seq: number | null;
  readonly prefix: string;
  readonly code: string;
  readonly reason: string;
  readonly at: number;
}

/**
 * Everything the node knows about one address: whether the served (effective) list covers it
 * and by which pieces; every stored prefix containing it, each source's latest op with the batch
 * that said so; and, when it is not listed though someone reported it, why: allowlisted,
 * refused by policy, expired or delisted.
 */
export function lookupAddress(source: LookupSource, text: string, now: number, policy: Policy, batchUrl: (publisher: string, seq: number) => string) {
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
  return {
    address: address.text.slice(0, address.text.lastIndexOf('/')),
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

/** Lookups straight from SQLite: for one-off CLI lookups, which should not load a whole index. */
export function sqlLookupSource(store: Store): LookupSource {
  return {
    facts(address) {
      const covering = candidatePrefixes(store, address);
      const keys = covering.map((p) => p.key);
      const marks = keys.map(() => '?').join(',');
      const pieces = store.prepare(`SELECT prefix, sources, expires FROM effective WHERE key IN (${marks}) ORDER BY key`).all(...keys) as {
        prefix: string;
        sources: string;
        expires: number;
      }[];
      const rows = store
        .prepare(
          `SELECT prefix, publisher, op, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason, seq
           FROM listings WHERE key IN (${marks}) ORDER BY key, publisher`,
        )
        .all(...keys) as (ListingFacts & { prefix: string })[];
      const listings: { prefix: string; sources: ListingFacts[] }[] = [];
      for (const { prefix, ...row } of rows) {
        if (listings.at(-1)?.prefix !== prefix) listings.push({ prefix, sources: [] });
        listings.at(-1)!.sources.push(row);
      }
      return { pieces, listings, refused: coveringPrefixes(address) };
    },
    leafHash: (publisher, seq) => leafHashOf(store, publisher, seq),
    refusals: (prefixes) => refusalsNaming(store, prefixes),
  };
}

export function refusalsNaming(store: Store, prefixes: readonly Prefix[]): RefusalRow[] {
  const texts = prefixes.map((p) => p.text);
  return store
    .prepare(
      `SELECT publisher, seq, prefix, code, reason, at FROM refusals WHERE prefix IN (${texts.map(() => '?').join(',')})
       ORDER BY id DESC LIMIT 20`,
    )
    .all(...texts) as RefusalRow[];
}

/** Prefixes containing the address, of the lengths that occur in the store (all when unknown). */
function candidatePrefixes(store: Store, address: Prefix): Prefix[] {
  const present = new Set(store.prepare('SELECT family_length FROM prefix_lengths').pluck().all() as string[]);
  const all = coveringPrefixes(address);
  if (present.size === 0) return all;
  return all.filter((p) => present.has(p.key[0]! + p.key.slice(-2)));
}

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
