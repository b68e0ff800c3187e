import { coveringPrefixes, prefixEnd, prefixKey, type Prefix } from '../core/prefix.js';
import type { PrefixSet } from '../core/prefix-set.js';
import { KeyProjector } from './key-projector.js';
import { getMeta, setMeta } from './meta-store.js';
import { writeTransaction, type Store } from './open-store.js';
import { projectKeys } from './set-projector.js';
import { labelsBeyondGreen } from './effective-query.js';

/**
 * Keeps the effective list (`effective`, `origin_pieces`, `changes`) in step with `listings`.
 * Applying a batch only records which prefix keys it touched (`pending_keys`), so pulls stay
 * fast; the projection runs right after, or before any read of the effective list, in its own
 * transactions, and appends each change of the list to the log exactly once.
 */
export interface ProjectionRules {
  readonly allowlist: PrefixSet;
}

export interface ProjectionResult {
  readonly keys: number;
  readonly changes: number;
}

/** Keys projected per transaction at most, unless one batch touched more: a pulled batch's worth. */
const KEYS_PER_TRANSACTION = 100_000;

/**
 * Projects pending keys, a batch's worth or several small batches per transaction, until none
 * are left (see set-projector.ts for how: a few statements per transaction, not per key). Projected
 * rows stay in `pending_keys` (past `pending_projected_through`) until the daemon prunes them:
 * they are also the log the in-memory lookup index follows to learn which listings changed.
 */
export function projectPending(store: Store, now: number, rules: ProjectionRules): ProjectionResult {
  // Read first: an idle check must not take the write lock (or pay a commit) on every read.
  if (store.prepare('SELECT 1 FROM pending_keys WHERE id > ? LIMIT 1').get(projectedThrough(store)) === undefined) return { keys: 0, changes: 0 };
  let keysSeen = 0;
  let changesLogged = 0;
  for (;;) {
    const step = writeTransaction(store, () => {
      const keys: string[] = [];
      let through = 0;
      const rows = store.prepare('SELECT id, keys FROM pending_keys WHERE id > ? ORDER BY id').iterate(projectedThrough(store)) as IterableIterator<{ id: number; keys: string }>;
      for (const row of rows) {
        for (const key of row.keys.split('\n')) if (key) keys.push(key);
        through = row.id;
        if (keys.length >= KEYS_PER_TRANSACTION) break;
      }
      if (through === 0) return undefined;
      const projector = new KeyProjector(store, now, rules.allowlist);
      const logged = lastLoggedChange(store);
      projectKeys(store, keys, now, rules.allowlist, projector);
      noteLabels(store, logged);
      setMeta(store, 'pending_projected_through', String(through));
      projector.finish();
      return projector;
    });
    if (!step) return { keys: keysSeen, changes: changesLogged };
    keysSeen += step.keysSeen;
    changesLogged += step.changesLogged;
  }
}

/** The newest change-log row (0 for none). */
function lastLoggedChange(store: Store): number {
  return (store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0;
}

/**
 * Marks the store once a piece has been served under a label beyond green (core/tlp.ts): until
 * then readers skip looking for restricted pieces at all (store/effective-pages.ts
 * restrictedPieces, the change stream). A piece only gets such a label through a logged change,
 * so the changes this projection logged (after `afterId`) say it. The mark is never taken back.
 */
function noteLabels(store: Store, afterId: number): void {
  if (labelsBeyondGreen(store)) return;
  // Prepared (pull-bench): one index range over the changes just logged, per projection.
  if (store.prepare('SELECT 1 FROM changes WHERE id > ? AND tlp > 1 LIMIT 1').get(afterId) !== undefined) setMeta(store, 'labels_beyond_green', '1');
}

function projectedThrough(store: Store): number {
  return Number(getMeta(store, 'pending_projected_through') ?? 0);
}

/** `pending_keys` rows up to this id are gone: a follower behind it must start from a snapshot. */
export function pendingPrunedThrough(store: Store): number {
  return Number(getMeta(store, 'pending_pruned_through') ?? 0);
}

/** The newest `pending_keys` row, projected or not (0 when there has never been one). */
export function lastPendingId(store: Store): number {
  return Math.max((store.prepare('SELECT max(id) FROM pending_keys').pluck().get() as number | null) ?? 0, pendingPrunedThrough(store));
}

/**
 * Drops projected `pending_keys` rows up to `through` (never unprojected ones), remembering the
 * last id dropped in the same transaction so a follower can tell it missed some.
 */
export function prunePendingKeys(store: Store, through: number): number {
  return writeTransaction(store, () => {
    const last = Math.min(through, projectedThrough(store));
    if (last <= pendingPrunedThrough(store)) return 0;
    const dropped = store.prepare('DELETE FROM pending_keys WHERE id <= ?').run(last).changes;
    setMeta(store, 'pending_pruned_through', String(last));
    return dropped;
  });
}

/** Re-projects the prefixes whose earliest active source has expired by `now`. */
export function projectExpired(store: Store, now: number, rules: ProjectionRules): ProjectionResult {
  if (store.prepare('SELECT 1 FROM effective WHERE next_expiry <= ? LIMIT 1').get(now) === undefined) return { keys: 0, changes: 0 };
  return writeTransaction(store, () => {
    const origins = store
      .prepare(
        `SELECT DISTINCT o.origin FROM effective e JOIN origin_pieces o ON o.piece = e.key
         WHERE e.next_expiry <= ? LIMIT 100000`,
      )
      .pluck()
      .all(now) as string[];
    const projector = new KeyProjector(store, now, rules.allowlist);
    const logged = lastLoggedChange(store);
    projectKeys(store, origins, now, rules.allowlist, projector);
    noteLabels(store, logged);
    projector.finish();
    return { keys: projector.keysSeen, changes: projector.changesLogged };
  });
}

/** Queues for projection every stored prefix overlapping any of `prefixes` (an allowlist edit). */
export function queueOverlapping(store: Store, prefixes: readonly Prefix[]): void {
  const keys = new Set<string>();
  const within = store.prepare('SELECT DISTINCT key FROM listings WHERE key >= ? AND key <= ?').pluck();
  const exact = store.prepare('SELECT DISTINCT key FROM listings WHERE key = ?').pluck();
  for (const p of prefixes) {
    const bits = p.family === 4 ? 32 : 128;
    // Keys order by start address, then length: every prefix starting inside p lies between these.
    for (const k of within.all(prefixKey(p.family, p.start, 0), prefixKey(p.family, prefixEnd(p), bits)) as string[]) keys.add(k);
    for (const c of coveringPrefixes(p)) for (const k of exact.all(c.key) as string[]) keys.add(k);
  }
  if (keys.size > 0) store.prepare('INSERT INTO pending_keys (keys) VALUES (?)').run([...keys].join('\n'));
}
