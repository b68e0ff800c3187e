import { SpamxError } from '../core/errors.js';
import type { IndexedRefusal } from '../core/evaluate-entries.js';
import { ColumnReader, DELIST as DELIST_OP, type PackedEntries } from '../core/packed-entries.js';
import { writeBatchParts } from './batch-parts.js';
import { leafHashOf } from './feed-store.js';
import { writeTransaction, type Store } from './open-store.js';
import { recordRefusals } from './refusal-store.js';
import { appendLeaf } from './tree-store.js';

/** An authentic batch and the entries local policy accepted from it. */
export interface BatchToApply {
  readonly publisher: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly leafHash: string;
  /**
   * The compact JWS, verbatim: text, or its ASCII bytes (what the feed-reader thread hands over,
   * moved rather than copied, so a 48 MiB batch never becomes a string on this thread).
   */
  readonly jws: string | Uint8Array;
  readonly kid: string;
  readonly issuedAt: number;
  readonly entryCount: number;
  readonly accepted: PackedEntries;
  readonly refused: readonly IndexedRefusal[];
  /** Most active listings this publisher may hold here; null for no limit. */
  readonly quota: number | null;
}

export interface ApplyOutcome {
  /** False when this exact batch was already stored (ingesting it twice changes nothing). */
  readonly applied: boolean;
  readonly listed: number;
  readonly delisted: number;
  readonly refused: number;
}

/** The merge of one `list` entry; the benchmark's baseline runs this same statement. */
export const UPSERT_LIST = `INSERT INTO listings (key, publisher, prefix, op, first_seen, last_seen, reports, expires, category, reason, seq)
  VALUES (?, ?, ?, 'list', ?, ?, ?, ?, ?, NULL, ?)
  ON CONFLICT (key, publisher) DO UPDATE SET op = 'list', first_seen = excluded.first_seen,
    last_seen = excluded.last_seen, reports = excluded.reports, expires = excluded.expires,
    category = excluded.category, reason = NULL, seq = excluded.seq`;
const DELIST = `UPDATE listings SET op = 'delist', reason = ?, seq = ? WHERE key = ? AND publisher = ? AND op = 'list'`;

/**
 * Stores one batch verbatim, advances its feed and merges its accepted entries, all in one
 * transaction: a crash leaves either the whole batch or none of it (PROTOCOL "Merged store
 * semantics"). The feed head is re-read inside the transaction, so a concurrent pull of the
 * same feed by another process cannot interleave.
 */
export function applyBatch(store: Store, batch: BatchToApply, now: number): ApplyOutcome {
  return writeTransaction(store, () => {
    const head = store.prepare('SELECT size, head, active_bound AS activeBound FROM feeds WHERE publisher = ?').get(batch.publisher) as
      | { size: number; head: string | null; activeBound: number }
      | undefined;
    const size = head?.size ?? 0;
    if (size >= batch.seq) {
      if (leafHashOf(store, batch.publisher, batch.seq) === batch.leafHash) return { applied: false, listed: 0, delisted: 0, refused: 0 };
      throw new SpamxError('BATCH_PREV_MISMATCH', `seq ${batch.seq} of ${batch.publisher} differs from the batch already stored`, { seq: batch.seq });
    }
    if (size !== batch.seq - 1) {
      throw new SpamxError('BATCH_SEQ_GAP', `seq ${batch.seq} of ${batch.publisher} does not follow stored seq ${size}`, { seq: batch.seq });
    }
    if ((head?.head ?? null) !== batch.prev) {
      throw new SpamxError('BATCH_PREV_MISMATCH', `seq ${batch.seq} of ${batch.publisher} does not chain to the stored head`, { seq: batch.seq });
    }
    const quota = new QuotaGuard(store, batch, now, head?.activeBound ?? 0);
    const quotaRefusals = mergeEntries(store, batch, quota);
    const refused = [...batch.refused, ...quotaRefusals];
    const jwsBytes = writeBatchParts(store, batch.publisher, batch.seq, batch.jws);
    store
      .prepare(
        `INSERT INTO batches (publisher, seq, leaf_hash, jws_bytes, kid, issued_at, entry_count, refused_count, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(batch.publisher, batch.seq, batch.leafHash, jwsBytes, batch.kid, batch.issuedAt, batch.entryCount, refused.length, now);
    store
      .prepare(
        `INSERT INTO feeds (publisher, size, head, updated_at, active_bound) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (publisher) DO UPDATE SET size = excluded.size, head = excluded.head,
           updated_at = excluded.updated_at, active_bound = excluded.active_bound`,
      )
      .run(batch.publisher, batch.seq, batch.leafHash, now, quota.boundAfter());
    recordRefusals(store, batch.publisher, batch.seq, refused, now);
    appendLeaf(store, batch.publisher, batch.seq - 1, Buffer.from(batch.leafHash, 'base64url'));
    // The effective list follows in src/store/projector.ts, from the keys this batch touched.
    const { keys } = batch.accepted;
    if (batch.accepted.count > 0) store.prepare('INSERT INTO pending_keys (keys) VALUES (CAST(? AS TEXT))').run(Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength));
    let delisted = 0;
    for (const op of batch.accepted.ops) delisted += op;
    const listed = batch.accepted.count - delisted - quotaRefusals.length;
    return { applied: true, listed, delisted, refused: refused.length };
  });
}

/** Upserts the accepted entries; returns the list entries refused for the publisher's quota. */
function mergeEntries(store: Store, batch: BatchToApply, quota: QuotaGuard): IndexedRefusal[] {
  const upsert = store.prepare(UPSERT_LIST);
  const delist = store.prepare(DELIST);
  const refused: IndexedRefusal[] = [];
  const { publisher, seq, accepted } = batch;
  const { ops, numbers, categories, categoryOf, reasons, indexes } = accepted;
  const keys = new ColumnReader(accepted.keys);
  const prefixes = new ColumnReader(accepted.prefixes);
  for (let i = 0; i < accepted.count; i++) {
    const key = keys.next();
    const prefix = prefixes.next();
    if (ops[i] === DELIST_OP) {
      quota.delisting(key);
      delist.run(reasons[i] ?? null, seq, key, publisher);
      continue;
    }
    if (!quota.admits(key)) {
      refused.push({
        index: indexes[i]!,
        code: 'QUOTA_EXCEEDED',
        reason: `${publisher} already has its quota of ${batch.quota} active listings here`,
        prefixText: prefix,
      });
      continue;
    }
    const n = i * 4;
    upsert.run(key, publisher, prefix, numbers[n], numbers[n + 1], numbers[n + 3], numbers[n + 2], categories[categoryOf[i]!], seq);
  }
  const addLength = store.prepare('INSERT INTO prefix_lengths (family_length) VALUES (?) ON CONFLICT DO NOTHING');
  for (const l of accepted.familyLengths) addLength.run(l);
  return refused;
}

/**
 * Keeps a publisher within its quota of active listings without counting them on every batch:
 * `feeds.active_bound` is an upper bound (it grows by every list entry applied), and only when
 * bound + incoming could exceed the quota are the listings counted and each entry looked up.
 */
class QuotaGuard {
  /** Exact active count while in the slow path; null while the bound proves the batch fits. */
  private active: number | null = null;
  private readonly incoming: number;

  constructor(
    private readonly store: Store,
    private readonly batch: BatchToApply,
    private readonly now: number,
    private readonly bound: number,
  ) {
    this.incoming = batch.accepted.count;
    if (batch.quota === null || bound + this.incoming <= batch.quota) return;
    this.active = store
      .prepare(`SELECT count(*) FROM listings WHERE publisher = ? AND op = 'list' AND expires > ?`)
      .pluck()
      .get(batch.publisher, now) as number;
  }

  admits(key: string): boolean {
    if (this.active === null || this.isActive(key)) return true; // a replacement adds nothing
    if (this.active >= this.batch.quota!) return false;
    this.active++;
    return true;
  }

  delisting(key: string): void {
    if (this.active !== null && this.isActive(key)) this.active--;
  }

  boundAfter(): number {
    return this.active ?? this.bound + this.incoming;
  }

  private isActive(key: string): boolean {
    const expires = this.store
      .prepare(`SELECT expires FROM listings WHERE key = ? AND publisher = ? AND op = 'list'`)
      .pluck()
      .get(key, this.batch.publisher) as number | undefined;
    return expires !== undefined && expires > this.now;
  }
}
