import type { LookupIndex } from '../core/lookup-index.js';
import type { LookupSource } from '../core/lookup-source.js';
import type { OriginTable } from '../core/origin-table.js';
import type { Policy } from '../core/policy.js';
import type { Prefix } from '../core/prefix.js';
import { leafHashOf } from '../store/feed-store.js';
import type { Store } from '../store/open-store.js';
import { refusalsNaming, sqlLookupSource } from '../store/sql-lookup-source.js';
import type { ChangeFollower } from './change-follower.js';
import { lookupAddress, OPERATOR_VIEW, type LookupResult, type LookupView } from './lookup-answer.js';
import { LookupCache } from './lookup-cache.js';
import { lookupAnswerJson } from './lookup-json.js';

export interface LookupServiceDeps {
  readonly store: Store;
  /** The serving node's read models; none for a one-shot CLI node, which reads SQLite. */
  readonly follower: ChangeFollower | undefined;
  /**
   * Brings the effective list up to date (projection) and names the state a lookup answer
   * depends on: the store as last projected, and the allowlist.
   */
  readonly freshen: () => string;
  readonly clock: () => number;
  readonly policy: () => Policy;
  readonly batchUrl: (publisher: string, seq: number) => string;
  /** The origin tables in use: answers name where the address is registered. */
  readonly origins: () => OriginTable;
}

/**
 * `GET /v1/lookup` and `spamx lookup`: everything the node knows about one address. A serving
 * node answers from its in-memory models, caught up with the store before each answer; while
 * they are built at start (or rebuilt after a pruned log) it answers from SQLite, more slowly
 * but never wrongly.
 */
export class LookupService {
  private readonly cache = new LookupCache();
  /** Leaf hashes by "publisher seq": batches never change once stored. */
  private readonly leafHashes = new Map<string, string | null>();
  private readonly memory: LookupSource;
  private index: LookupIndex | undefined;

  constructor(private readonly deps: LookupServiceDeps) {
    this.memory = {
      facts: (address) => this.index!.facts(address),
      leafHash: (publisher, seq) => this.leafHash(publisher, seq),
      refusals: (prefixes) => refusalsNaming(deps.store, prefixes),
    };
  }

  /** The answer for `view` (read/lookup-answer.ts): the operator's, every label shown, unless told. */
  lookup(ip: string, view: LookupView = OPERATOR_VIEW): LookupResult {
    return this.answer(ip, this.deps.freshen(), view);
  }

  /** The lookup answer as JSON text, from the cache while nothing it depends on has changed. */
  lookupJson(ip: string, view: LookupView): string {
    // Answers name the address's origin, so new origin data makes them stale too.
    const validity = `${this.deps.freshen()}:${this.deps.origins().digest}`;
    // Each view has answers of its own: the green-only one (most callers) keyed by the address alone.
    const key = view.maxRank === 1 && !view.showTlp ? ip : `${view.maxRank}${view.showTlp ? '+' : ''} ${ip}`;
    const cached = this.cache.get(key, validity);
    if (cached !== undefined) return cached;
    const body = lookupAnswerJson(this.answer(ip, validity, view));
    this.cache.set(key, validity, body);
    return body;
  }

  private answer(ip: string, validity: string, view: LookupView): LookupResult {
    const { deps } = this;
    const origins = deps.origins();
    // The address as lookupAddress parsed it: an IPv4 one is one binary search, no second parse.
    const originOf = (a: Prefix) => (a.family === 4 ? origins.originAt(origins.originOf4(a.start as number)) : origins.originOf(a.text.slice(0, a.text.lastIndexOf('/'))));
    return lookupAddress(this.source(validity), ip, deps.clock(), deps.policy(), deps.batchUrl, originOf, view);
  }

  private source(validity: string): LookupSource {
    this.index = this.deps.follower?.syncNow(validity)?.lookup;
    return this.index ? this.memory : sqlLookupSource(this.deps.store);
  }

  private leafHash(publisher: string, seq: number): string | null {
    const id = `${publisher} ${seq}`;
    let hash = this.leafHashes.get(id);
    if (hash === undefined) {
      hash = leafHashOf(this.deps.store, publisher, seq);
      if (this.leafHashes.size >= 100_000) this.leafHashes.clear();
      // A batch not stored (yet) is not remembered: it may arrive.
      if (hash !== null) this.leafHashes.set(id, hash);
    }
    return hash;
  }
}
