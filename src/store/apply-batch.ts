import type { Statement } from 'better-sqlite3';
import { fromErrorData, SpamxError, type SpamxErrorData } from '../core/errors.js';
import type { IndexedRefusal } from '../core/evaluate-entries.js';
import { ColumnReader, DELIST as DELIST_OP, type PackedEntries } from '../core/packed-entries.js';
import { TLP_GREEN, type TlpRank } from '../core/tlp.js';
import type { SealedRecord } from '../core/sealed-payload.js';
import { writeBatchParts } from './batch-parts.js';
import { leafHashOf } from './feed-store.js';
import { writeTransaction, type Store } from './open-store.js';
import { recordRefusals } from './refusal-store.js';
import { recordSealed } from './sealed-store.js';
import { appendLeaf } from './tree-store.js';

// Prepared statements only (pull-bench): each runs per pulled batch, or per entry of one.

/** An authentic batch and the entries local policy accepted from it. */
export interface BatchToApply extends BatchSummary {
  readonly publisher: string;
  /**
   * The compact JWS, verbatim: text, or its ASCII bytes (what the feed-reader thread hands over,
   * moved rather than copied, so a 48 MiB batch never becomes a string on this thread).
   */
  readonly jws: string | Uint8Array;
  readonly accepted: PackedEntries;
  /** Most active listings this publisher may hold here; null for no limit. */
  readonly quota: number | null;
}

/** What is known of a batch once every check of it passed: all of it but its JWS and entries. */
export interface BatchSummary {
  readonly seq: number;
  readonly prev: string | null;
  readonly leafHash: string;
  readonly kid: string;
  readonly issuedAt: number;
  readonly entryCount: number;
  /** Entries local policy refused, with their batch positions. */
  readonly refused: readonly IndexedRefusal[];
  /**
   * The label the batch's entries are held under (core/tlp.ts rank; verify-batch.ts
   * VerifiedBatch.tlp), written to batches.tlp and to each listing it writes. `tlpNote`: why a
   * label that is not TLP 2.0 was read as red, recorded as a TLP_UNKNOWN refusal of the batch.
   */
  readonly tlp: TlpRank;
  readonly tlpNote?: string | undefined;
  /** A sealed batch's recipients, and its inner JWS or refusal where this node read it (store/sealed-store.ts). */
  readonly sealed?: SealedRecord | undefined;
}

/**
 * A batch being applied as it is decoded, after its `begin` (see applyBatchStream): a chunk of
 * its accepted entries, its end, or the error that stops it.
 */
export type BatchPiece =
  /**
   * `tlp`: the label the chunk was merged under, when the decoder knew it (a payload names `tlp`
   * before its entries, as spamx writes it); otherwise green, put right at `end` if the batch's
   * label turns out another.
   */
  | { readonly type: 'entries'; readonly entries: PackedEntries; readonly tlp?: TlpRank }
  | { readonly type: 'end'; readonly batch: BatchSummary }
  | { readonly type: 'error'; readonly error: SpamxErrorData };

/** The start of a batch to apply: whose, its seq and JWS (its signature verified), the quota. */
export interface BatchStart {
  readonly publisher: string;
  readonly seq: number;
  readonly jws: string | Uint8Array;
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
export const UPSERT_LIST = upsertListRows(1, '?', '?', '?');

/**
 * UPSERT_LIST for `rows` entries in one statement. Binding 64 rows at a time ran 100,000
 * sorted upserts in about 110 ms instead of 160 on the 2-core machine: a third of the single-row
 * statement's time was its call from JavaScript, not SQLite's work (src/README.md "Design notes"). The
 * publisher and seq, the same in every row, are named parameters bound once per statement
 * (another 5%).
 */
function upsertListRows(rows: number, publisher: string, seq: string, tlp: string): string {
  return `INSERT INTO listings (key, publisher, prefix, op, first_seen, last_seen, reports, expires, category, reason, seq, tlp)
  VALUES ${Array.from({ length: rows }, () => `(?, ${publisher}, ?, 'list', ?, ?, ?, ?, ?, NULL, ${seq}, ${tlp})`).join(', ')}
  ON CONFLICT (key, publisher) DO UPDATE SET op = 'list', first_seen = excluded.first_seen,
    last_seen = excluded.last_seen, reports = excluded.reports, expires = excluded.expires,
    category = excluded.category, reason = NULL, seq = excluded.seq, tlp = excluded.tlp`;
}
const UPSERT_ROWS = 64;
/** Values bound per row of UPSERT_LIST_ROWS: key, prefix, firstSeen, lastSeen, reports, expires, category. */
const ROW_VALUES = 7;
const UPSERT_LIST_ROWS = upsertListRows(UPSERT_ROWS, '@publisher', '@seq', '@tlp');
const DELIST = `UPDATE listings SET op = 'delist', reason = ?, seq = ? WHERE key = ? AND publisher = ? AND op = 'list'`;

/** applyBatchStream for a batch that is all at hand (a node's own batches, tests). */
export function applyBatch(store: Store, batch: BatchToApply, now: number): ApplyOutcome {
  const { publisher, jws, accepted, quota, ...summary } = batch;
  const pieces: BatchPiece[] = [{ type: 'entries', entries: accepted, tlp: batch.tlp }, { type: 'end', batch: summary }];
  return applyBatchStream(store, { publisher, seq: batch.seq, jws, quota }, () => pieces.shift()!, now);
}

/**
 * Stores one batch verbatim, advances its feed and merges its accepted entries, all in one
 * transaction: a crash leaves either the whole batch or none of it (PROTOCOL "Merged store
 * semantics"). The pieces after `start` are taken from `next` as they come: the pull path's
 * `next` blocks this thread until the reader thread has decoded the next chunk, so storing
 * overlaps decoding and nothing else runs on this thread inside the transaction. The
 * transaction commits only at the `end` piece, which comes after every check of PROTOCOL
 * "Batch" passed; an `error` piece (a batch whose signature verified but whose payload did not)
 * rolls it back. The feed head is read inside the transaction, so a concurrent pull of the same
 * feed by another process cannot interleave.
 */
export function applyBatchStream(store: Store, start: BatchStart, next: () => BatchPiece, now: number): ApplyOutcome {
  return writeTransaction(store, () => {
    const head = store.prepare('SELECT size, head, active_bound AS activeBound FROM feeds WHERE publisher = ?').get(start.publisher) as
      | { size: number; head: string | null; activeBound: number }
      | undefined;
    const size = head?.size ?? 0;
    if (size !== start.seq - 1) {
      // Not what this node expected when it asked for the batch (another process stored some
      // meanwhile): the batch is read to its end, for the reader's own verdict first.
      const batch = endOf(next);
      if (size >= start.seq && leafHashOf(store, start.publisher, start.seq) === batch.leafHash) return { applied: false, listed: 0, delisted: 0, refused: 0 };
      if (size >= start.seq) {
        throw new SpamxError('BATCH_PREV_MISMATCH', `seq ${start.seq} of ${start.publisher} differs from the batch already stored`, { seq: start.seq });
      }
      throw new SpamxError('BATCH_SEQ_GAP', `seq ${start.seq} of ${start.publisher} does not follow stored seq ${size}`, { seq: start.seq });
    }
    const jwsBytes = writeBatchParts(store, start.publisher, start.seq, start.jws);
    const merger = new EntryMerger(store, start, now, head?.activeBound ?? 0);
    let piece = next();
    for (; piece.type === 'entries'; piece = next()) merger.merge(piece.entries, piece.tlp ?? TLP_GREEN);
    if (piece.type === 'error') throw fromErrorData(piece.error);
    const batch = piece.batch;
    if (batch.seq !== start.seq) throw new SpamxError('INTERNAL', `batch begun as seq ${start.seq} ended as seq ${batch.seq}`);
    if ((head?.head ?? null) !== batch.prev) {
      throw new SpamxError('BATCH_PREV_MISMATCH', `seq ${batch.seq} of ${start.publisher} does not chain to the stored head`, { seq: batch.seq });
    }
    // Chunks merged before the label was known (a payload naming `tlp` after its entries) are put right.
    merger.relabel(batch.tlp);
    const refused: (Omit<IndexedRefusal, 'index'> & { index: number | null })[] = [...batch.refused, ...merger.quotaRefusals];
    if (batch.tlpNote !== undefined) refused.push({ index: null, code: 'TLP_UNKNOWN', reason: batch.tlpNote, prefixText: null });
    store
      .prepare(
        `INSERT INTO batches (publisher, seq, leaf_hash, jws_bytes, kid, issued_at, entry_count, refused_count, received_at, tlp)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(start.publisher, batch.seq, batch.leafHash, jwsBytes, batch.kid, batch.issuedAt, batch.entryCount, refused.length, now, batch.tlp);
    store
      .prepare(
        `INSERT INTO feeds (publisher, size, head, updated_at, active_bound) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (publisher) DO UPDATE SET size = excluded.size, head = excluded.head,
           updated_at = excluded.updated_at, active_bound = excluded.active_bound`,
      )
      .run(start.publisher, batch.seq, batch.leafHash, now, merger.activeBound());
    recordRefusals(store, start.publisher, batch.seq, refused, now);
    if (batch.sealed) recordSealed(store, start.publisher, batch.seq, batch.sealed, now);
    appendLeaf(store, start.publisher, batch.seq - 1, Buffer.from(batch.leafHash, 'base64url'));
    // The effective list follows in src/store/projector.ts, from the keys this batch touched.
    const keys = merger.touchedKeys();
    if (keys) store.prepare('INSERT INTO pending_keys (keys) VALUES (CAST(? AS TEXT))').run(keys);
    return { applied: true, listed: merger.listed, delisted: merger.delisted, refused: refused.length };
  });
}

/** Reads pieces to the batch's end without storing them; throws the error that stopped it. */
function endOf(next: () => BatchPiece): BatchSummary {
  for (;;) {
    const piece = next();
    if (piece.type === 'end') return piece.batch;
    if (piece.type === 'error') throw fromErrorData(piece.error);
  }
}

/** Merges a batch's accepted entries, a chunk at a time, into `listings`. */
class EntryMerger {
  readonly quotaRefusals: IndexedRefusal[] = [];
  listed = 0;
  delisted = 0;
  private readonly quota: QuotaGuard;
  private readonly upsert: Statement;
  private readonly upsertRows: Statement;
  private readonly delist: Statement;
  private readonly addLength: Statement;
  /** ROW_VALUES values for each of up to UPSERT_ROWS list entries, bound at once. */
  private readonly rows: unknown[] = [];
  private readonly keys: Buffer[] = [];
  /** The label of the rows being merged (of the current chunk). */
  private tlp: TlpRank = TLP_GREEN;
  /** Chunks merged under each label, to put right at the end if the batch's label is another. */
  private readonly labelled = new Map<TlpRank, Buffer[]>();

  constructor(
    private readonly store: Store,
    private readonly start: BatchStart,
    now: number,
    bound: number,
  ) {
    this.upsert = store.prepare(UPSERT_LIST);
    this.upsertRows = store.prepare(UPSERT_LIST_ROWS);
    this.delist = store.prepare(DELIST);
    this.addLength = store.prepare('INSERT INTO prefix_lengths (family_length) VALUES (?) ON CONFLICT DO NOTHING');
    this.quota = new QuotaGuard(store, start, now, bound);
  }

  merge(accepted: PackedEntries, tlp: TlpRank): void {
    this.tlp = tlp;
    const quota = this.quota;
    const { publisher, seq } = this.start;
    const { ops, numbers, categories, categoryOf, reasons, indexes } = accepted;
    const keys = new ColumnReader(accepted.keys);
    const prefixes = new ColumnReader(accepted.prefixes);
    const rows = this.rows;
    for (let i = 0; i < accepted.count; i++) {
      const key = keys.next();
      const prefix = prefixes.next();
      if (ops[i] === DELIST_OP) {
        quota.delisting(key);
        this.delist.run(reasons[i] ?? null, seq, key, publisher);
        this.delisted++;
        continue;
      }
      // Rows still to be written count when the guard starts counting listings.
      if (quota.mustCount()) this.flush();
      if (!quota.admits(key)) {
        this.quotaRefusals.push({
          index: indexes[i]!,
          code: 'QUOTA_EXCEEDED',
          reason: `${publisher} already has its quota of ${this.start.quota} active listings here`,
          prefixText: prefix,
        });
        continue;
      }
      const n = i * 4;
      rows.push(key, prefix, numbers[n], numbers[n + 1], numbers[n + 3], numbers[n + 2], categories[categoryOf[i]!]);
      if (rows.length === UPSERT_ROWS * ROW_VALUES) this.flush();
      this.listed++;
    }
    this.flush();
    for (const l of accepted.familyLengths) this.addLength.run(l);
    // Copied: the chunk's buffers are freed once it is merged (decode-batch.ts).
    if (accepted.count > 0) {
      const copy = Buffer.from(accepted.keys);
      this.keys.push(copy);
      const chunks = this.labelled.get(tlp);
      if (chunks) chunks.push(copy);
      else this.labelled.set(tlp, [copy]);
    }
  }

  /**
   * Gives the listings this batch wrote under another label than `tlp` the batch's label: only
   * when the decoder met `tlp` after the entries (spamx writes it before them), so a key at a time.
   */
  relabel(tlp: TlpRank): void {
    let fix: Statement | undefined;
    for (const [label, chunks] of this.labelled) {
      if (label === tlp) continue;
      fix ??= this.store.prepare(`UPDATE listings SET tlp = ? WHERE key = ? AND publisher = ? AND seq = ? AND op = 'list'`);
      for (const chunk of chunks) for (const key of chunk.toString('latin1').split('\n')) if (key) fix.run(tlp, key, this.start.publisher, this.start.seq);
    }
  }

  /** The quota bound to store for the feed after this batch. */
  activeBound(): number {
    return this.quota.boundAfter(this.listed);
  }

  /** Every key this batch touched, newline-separated, as ASCII bytes; undefined for none. */
  touchedKeys(): Buffer | undefined {
    if (this.keys.length === 0) return undefined;
    return Buffer.concat(this.keys.flatMap((k, i) => (i === 0 ? [k] : [NEWLINE, k])));
  }

  private flush(): void {
    const { rows, start } = this;
    if (rows.length === UPSERT_ROWS * ROW_VALUES) this.upsertRows.run(rows, { publisher: start.publisher, seq: start.seq, tlp: this.tlp });
    for (let at = 0; rows.length < UPSERT_ROWS * ROW_VALUES && at < rows.length; at += ROW_VALUES) {
      const [key, prefix, firstSeen, lastSeen, reports, expires, category] = rows.slice(at, at + ROW_VALUES);
      this.upsert.run(key, start.publisher, prefix, firstSeen, lastSeen, reports, expires, category, start.seq, this.tlp);
    }
    rows.length = 0;
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * Keeps a publisher within its quota of active listings without counting them on every batch:
 * `feeds.active_bound` is an upper bound (it grows by every list entry applied), and while
 * bound + the entries admitted so far stays within the quota, entries are admitted unchecked.
 * Only past that are the listings counted (this batch's own included: they are in the same
 * transaction) and each entry looked up. The batch's size need not be known in advance, as it
 * is not while the batch is still being decoded.
 */
class QuotaGuard {
  /** Exact active count once counting; null while the bound proves the entries fit. */
  private active: number | null = null;
  /** List entries still admissible unchecked. */
  private room: number;

  constructor(
    private readonly store: Store,
    private readonly batch: BatchStart,
    private readonly now: number,
    private readonly bound: number,
  ) {
    this.room = batch.quota === null ? Infinity : batch.quota - bound;
  }

  /** True when the next list entry will need the listings counted (the caller writes pending rows first). */
  mustCount(): boolean {
    return this.active === null && this.room <= 0;
  }

  admits(key: string): boolean {
    if (this.active === null) {
      if (this.room > 0) {
        this.room--;
        return true;
      }
      this.active = this.store
        .prepare(`SELECT count(*) FROM listings WHERE publisher = ? AND op = 'list' AND expires > ?`)
        .pluck()
        .get(this.batch.publisher, this.now) as number;
    }
    if (this.isActive(key)) return true; // a replacement adds nothing
    if (this.active >= this.batch.quota!) return false;
    this.active++;
    return true;
  }

  delisting(key: string): void {
    if (this.active !== null && this.isActive(key)) this.active--;
  }

  /** The bound after `listed` list entries were upserted (each adds at most one active listing). */
  boundAfter(listed: number): number {
    return this.active ?? this.bound + listed;
  }

  private isActive(key: string): boolean {
    const expires = this.store
      .prepare(`SELECT expires FROM listings WHERE key = ? AND publisher = ? AND op = 'list'`)
      .pluck()
      .get(key, this.batch.publisher) as number | undefined;
    return expires !== undefined && expires > this.now;
  }
}
