import { coveringPrefixes, type Prefix } from '../core/prefix.js';
import type { ListingFacts } from '../core/lookup-index.js';
import type { LookupSource, RefusalRow } from '../core/lookup-source.js';
import { leafHashOf } from './feed-store.js';
import type { Store } from './open-store.js';

/** Lookups straight from SQLite: for one-off CLI lookups, which should not load a whole index. */
export function sqlLookupSource(store: Store): LookupSource {
  return {
    facts(address) {
      const covering = candidatePrefixes(store, address);
      const keys = covering.map((p) => p.key);
      const marks = keys.map(() => '?').join(',');
      const pieces = store.prepare(`SELECT prefix, sources, expires, tlp FROM effective WHERE key IN (${marks}) ORDER BY key`).all(...keys) as {
        prefix: string;
        sources: string;
        expires: number;
        tlp: number;
      }[];
      const rows = store
        .prepare(
          `SELECT prefix, publisher, op, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason, seq, tlp
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

