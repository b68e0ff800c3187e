import { SpamxError } from '../core/errors.js';
import { coveringPrefixes, parsePrefix, type Prefix } from '../core/prefix.js';
import type { Policy } from '../core/policy.js';
import { specialPurposeRange } from '../core/special-purpose.js';
import { formatTimestamp } from '../core/time.js';
import type { Store } from './open-store.js';

export type SourceState = 'active' | 'expired' | 'delisted';

const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/**
 * Everything the node knows about one address: whether the served (effective) list covers it
 * and by which pieces; every stored prefix containing it, each source's latest op with the batch
 * that said so; and, when it is not listed though someone reported it, why: allowlisted,
 * refused by policy, expired or delisted.
 */
export function lookupAddress(store: Store, text: string, now: number, policy: Policy, batchUrl: (publisher: string, seq: number) => string) {
  const parsed = parsePrefix(text);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) {
    throw new SpamxError('BAD_REQUEST', `"${text}" is not an IP address`);
  }
  const address = parsed.prefix;
  const covering = candidatePrefixes(store, address);
  const keys = covering.map((p) => p.key);
  const marks = keys.map(() => '?').join(',');
  const listedBy = store.prepare(`SELECT prefix, sources, expires FROM effective WHERE key IN (${marks}) ORDER BY key`).all(...keys) as {
    prefix: string;
    sources: string;
    expires: number;
  }[];
  const rows = store
    .prepare(
      `SELECT l.prefix, l.publisher, l.op, l.first_seen AS firstSeen, l.last_seen AS lastSeen, l.reports, l.expires,
         l.category, l.reason, l.seq, b.leaf_hash AS leafHash
       FROM listings l LEFT JOIN batches b ON b.publisher = l.publisher AND b.seq = l.seq
       WHERE l.key IN (${marks}) ORDER BY l.key, l.publisher`,
    )
    .all(...keys) as ListingRow[];
  const matches = new Map<string, { prefix: string; sources: ReturnType<typeof toSource>[] }>();
  for (const row of rows) {
    const m = matches.get(row.prefix) ?? { prefix: row.prefix, sources: [] };
    m.sources.push(toSource(row, now, batchUrl));
    matches.set(row.prefix, m);
  }
  const listed = listedBy.length > 0;
  const allowlistedBy = policy.allowlist.size > 0 ? policy.allowlist.covering(address) : undefined;
  const refusals = listed ? [] : refusalsFor(store, coveringPrefixes(address));
  const special = specialPurposeRange(address);
  const notListedBecause: string[] = [];
  if (!listed) {
    if (allowlistedBy) notListedBecause.push(`allowlisted by ${allowlistedBy.text}`);
    if (special) notListedBecause.push(`special-purpose address space ${special.prefix.text} (${special.name})`);
    for (const r of refusals) notListedBecause.push(`${r.publisher}'s report of ${r.prefix} was refused: ${r.code}`);
    for (const m of matches.values()) {
      for (const s of m.sources) {
        if (s.state === 'expired') notListedBecause.push(`${s.publisher}'s listing of ${m.prefix} expired at ${s.expires}`);
        if (s.state === 'delisted') notListedBecause.push(`${s.publisher} delisted ${m.prefix}${s.reason ? ` (${s.reason})` : ''}`);
      }
    }
  }
  return {
    address: address.text.replace(/\/(32|128)$/, ''),
    listed,
    listedBy: listedBy.map((e) => ({ prefix: e.prefix, sources: e.sources.split(' '), expires: formatTimestamp(e.expires) })),
    allowlisted: allowlistedBy ? allowlistedBy.text : null,
    specialPurpose: special ? `${special.prefix.text} (${special.name})` : null,
    matches: [...matches.values()].map((m) => ({ ...m, listed: m.sources.some((s) => s.state === 'active') })),
    refusals,
    notListedBecause,
  };
}

export type LookupResult = ReturnType<typeof lookupAddress>;

interface ListingRow {
  prefix: string;
  publisher: string;
  op: 'list' | 'delist';
  firstSeen: number | null;
  lastSeen: number | null;
  reports: number | null;
  expires: number | null;
  category: string | null;
  reason: string | null;
  seq: number;
  leafHash: string | null;
}

/** Prefixes containing the address, of the lengths that occur in the store (all when unknown). */
function candidatePrefixes(store: Store, address: Prefix): Prefix[] {
  const present = new Set(store.prepare('SELECT family_length FROM prefix_lengths').pluck().all() as string[]);
  const all = coveringPrefixes(address);
  if (present.size === 0) return all;
  return all.filter((p) => present.has(p.key[0]! + p.key.slice(-2)));
}

function refusalsFor(store: Store, covering: readonly Prefix[]) {
  const texts = covering.map((p) => p.text);
  return store
    .prepare(
      `SELECT publisher, seq, prefix, code, reason, at FROM refusals WHERE prefix IN (${texts.map(() => '?').join(',')})
       ORDER BY id DESC LIMIT 20`,
    )
    .all(...texts)
    .map((r) => {
      const row = r as { publisher: string; seq: number | null; prefix: string; code: string; reason: string; at: number };
      return { ...row, at: time(row.at) };
    });
}

function toSource(row: ListingRow, now: number, batchUrl: (publisher: string, seq: number) => string) {
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
    batch: { publisher: row.publisher, seq: row.seq, leafHash: row.leafHash, url: batchUrl(row.publisher, row.seq) },
  };
}
