import { LookupIndex, type ListingFacts } from '../core/lookup-index.js';
import { parsePrefix } from '../core/prefix.js';
import { lastChangeId, prunedThrough } from './effective-query.js';
import { leafHashOf } from './feed-store.js';
import { refusalsNaming, type LookupSource } from './lookup.js';
import type { Store } from './open-store.js';
import { lastPendingId, pendingPrunedThrough } from './projector.js';

const LISTING_COLUMNS = `publisher, op, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason, seq`;

/**
 * Keeps a LookupIndex equal to the store, so a busy `GET /v1/lookup` never queries SQLite. It is
 * built on the first lookup (a node nobody asks pays nothing), from one read transaction, and
 * then moved forward along three logs, each by id:
 * - `pending_keys`: every applied batch writes the keys it touched there, in the same
 *   transaction as the listings; each key's rows are re-read;
 * - `changes`: the effective list's change log; each piece's current row is re-read;
 * - `refusals`: append-only.
 * `sync(stamp)` does this only when the store's stamp (daemon.ts `storeStamp`) has moved. A log
 * pruned past the index's position sends it back to a fresh snapshot.
 */
export class LookupFollower {
  private index: LookupIndex | undefined;
  private stamp: string | undefined;
  private pendingApplied = 0;
  private changesApplied = 0;
  private refusalsApplied = 0;
  /** Leaf hashes by "publisher seq": batches never change once stored. */
  private readonly leafHashes = new Map<string, string | null>();
  private readonly source: LookupSource = {
    facts: (address) => this.index!.facts(address),
    leafHash: (publisher, seq) => this.leafHash(publisher, seq),
    refusals: (prefixes) => refusalsNaming(this.store, prefixes),
  };

  constructor(private readonly store: Store) {}

  /** The last `pending_keys` id the index reflects, or undefined before it is built. */
  get pendingPosition(): number | undefined {
    return this.index ? this.pendingApplied : undefined;
  }

  /** A lookup source current with the store as of `stamp`. */
  sync(stamp: string): LookupSource {
    if (this.stamp !== stamp || !this.index) {
      this.store.db.transaction(() => {
        const behind = !this.index || this.pendingApplied < pendingPrunedThrough(this.store) || this.changesApplied < prunedThrough(this.store);
        if (behind) this.rebuild();
        else this.catchUp();
      })();
      this.stamp = stamp;
    }
    return this.source;
  }

  private leafHash(publisher: string, seq: number): string | null {
    const id = `${publisher} ${seq}`;
    let hash = this.leafHashes.get(id);
    if (hash === undefined) {
      hash = leafHashOf(this.store, publisher, seq);
      if (this.leafHashes.size >= 100_000) this.leafHashes.clear();
      // A batch not stored (yet) is not remembered: it may arrive.
      if (hash !== null) this.leafHashes.set(id, hash);
    }
    return hash;
  }

  private rebuild(): void {
    const index = new LookupIndex();
    this.pendingApplied = lastPendingId(this.store);
    this.changesApplied = lastChangeId(this.store);
    this.refusalsApplied = this.lastRefusalId();
    const rows = this.store.prepare(`SELECT key, ${LISTING_COLUMNS} FROM listings ORDER BY key, publisher`).iterate() as IterableIterator<
      ListingFacts & { key: string }
    >;
    let key: string | undefined;
    let group: ListingFacts[] = [];
    for (const { key: rowKey, ...row } of rows) {
      if (rowKey !== key) {
        if (key !== undefined) index.setListings(key, group);
        key = rowKey;
        group = [];
      }
      group.push(row);
    }
    if (key !== undefined) index.setListings(key, group);
    for (const [pieceKey, sources, expires] of this.store.prepare('SELECT key, sources, expires FROM effective').raw().iterate() as IterableIterator<
      [string, string, number]
    >) {
      index.setPiece(pieceKey, { sources, expires });
    }
    for (const prefix of this.store.prepare('SELECT DISTINCT prefix FROM refusals WHERE prefix IS NOT NULL').pluck().iterate() as IterableIterator<string>) {
      const parsed = parsePrefix(prefix);
      if (parsed.ok) index.addRefusal(parsed.prefix.key);
    }
    this.index = index;
  }

  private catchUp(): void {
    const index = this.index!;
    const pending = this.store.prepare('SELECT id, keys FROM pending_keys WHERE id > ? ORDER BY id').raw().all(this.pendingApplied) as [number, string][];
    const keys = new Set<string>();
    for (const [id, text] of pending) {
      for (const key of text.split('\n')) if (key) keys.add(key);
      this.pendingApplied = id;
    }
    const listingsOf = this.store.prepare(`SELECT ${LISTING_COLUMNS} FROM listings WHERE key = ? ORDER BY publisher`);
    for (const key of keys) index.setListings(key, listingsOf.all(key) as ListingFacts[]);

    const changes = this.store
      .prepare('SELECT c.id, c.key, e.sources, e.expires FROM changes c LEFT JOIN effective e ON e.key = c.key WHERE c.id > ? ORDER BY c.id')
      .raw()
      .all(this.changesApplied) as [number, string, string | null, number | null][];
    for (const [id, key, sources, expires] of changes) {
      // A piece gone by now is left out: a later change in the log removes it.
      if (sources === null || expires === null) index.deletePiece(key);
      else index.setPiece(key, { sources, expires });
      this.changesApplied = id;
    }

    const refusals = this.store.prepare('SELECT id, prefix FROM refusals WHERE id > ? ORDER BY id').raw().all(this.refusalsApplied) as [number, string | null][];
    for (const [id, prefix] of refusals) {
      const parsed = prefix === null ? undefined : parsePrefix(prefix);
      if (parsed?.ok) index.addRefusal(parsed.prefix.key);
      this.refusalsApplied = id;
    }
  }

  private lastRefusalId(): number {
    return (this.store.prepare('SELECT max(id) FROM refusals').pluck().get() as number | null) ?? 0;
  }
}
