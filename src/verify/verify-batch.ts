import { BATCH_TYP, checkBatchShape, type BatchPayload } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import type { FeedHead } from '../core/feed-head.js';
import { leafHash, leafHashOfInput, toBase64Url } from '../core/leaf-hash.js';
import { parseStrictJson } from '../core/strict-json.js';
import { parsePayloadInChunks } from '../core/chunked-payload.js';
import { freeNow, ownBuffer } from '../core/free-buffers.js';
import { checkKeyInForce } from '../core/key-history.js';
import { parseTimestamp } from '../core/time.js';
import { batchTlp, tlpRank, type TlpRank } from '../core/tlp.js';
import type { PinnedKey, PinnedKeySet } from './pinned-keys.js';
import { checkSignature, decodePayload, inspectCompactJws, verifyCompactJws, type CompactJws } from './verify-jws.js';

export interface VerifiedBatch {
  readonly publisher: string;
  readonly seq: number;
  readonly jws: string;
  readonly leafHash: string;
  readonly kid: string;
  readonly issuedAt: number;
  readonly entryCount: number;
  readonly payload: BatchPayload;
  /**
   * The label the batch's entries are held under (core/tlp.ts rank): its `tlp`, read by
   * batchTlp; a sealed batch's from its `sealed.tlp`. `tlpNote` says why a bad label was read as red.
   */
  readonly tlp: TlpRank;
  readonly tlpNote?: string;
}

export interface BatchContext {
  readonly publisher: string;
  readonly keys: PinnedKeySet;
  readonly head: FeedHead;
}

/**
 * PROTOCOL "Validity and local policy", question 1, in a fixed order: the JWS (size, header,
 * algorithm, key, signature), then the payload (JSON without duplicate names, top-level shape),
 * then its place in the feed (publisher, seq, prev). Any failure rejects the batch whole.
 */
export function verifyBatch(jws: string, ctx: BatchContext): VerifiedBatch {
  const { kid, key, payloadText } = verifyCompactJws(jws, ctx.keys, BATCH_TYP);
  const payload = checkPayload(payloadText, ctx, key);
  return {
    publisher: payload.publisher,
    seq: payload.seq,
    jws,
    leafHash: toBase64Url(leafHash(jws)),
    kid,
    issuedAt: parseTimestamp(payload.issuedAt)!,
    entryCount: payload.entries.length,
    payload,
    ...tlpOf(payload),
  };
}

/** The batch's label as VerifiedBatch holds it. */
export function tlpOf(payload: BatchPayload): { tlp: TlpRank; tlpNote?: string } {
  if (payload.sealed) return { tlp: tlpRank(payload.sealed.tlp) }; // checked a TLP 2.0 label by its shape
  const { rank, note } = batchTlp(payload.tlp);
  return note === undefined ? { tlp: rank } : { tlp: rank, tlpNote: note };
}

/** What verifyBatchInChunks does with a batch while it verifies it. */
export interface EntryConsumer<T> {
  /**
   * The batch's signature verified: 0x00 ‖ its JWS bytes (core/leaf-hash.ts), which the
   * consumer may keep or move to another thread (nothing here reads them after this call).
   */
  authentic(leafInput: Buffer): void;
  /**
   * Before any entry: the payload's top-level members that come before `entries` (not checked
   * yet), or undefined when they cannot be told apart (core/chunked-payload.ts).
   */
  start(members: Record<string, unknown> | undefined): void;
  /** Entries as they are parsed, a chunk at a time, before the payload's checks are done. */
  entries(chunk: readonly unknown[], firstIndex: number): void;
  /** Called once the payload has passed every check; its result is returned as `speculated`. */
  finish(payload: BatchPayload): T;
}

/**
 * verifyBatch for large batches, with verifyBatch's verdicts in its order: the JWS checks and
 * the signature first, then the payload, parsed a chunk of entries at a time
 * (core/chunked-payload.ts) and handed to `consumer` as it goes (the pull path evaluates them
 * against local policy and sends them on to be stored). The returned payload's `entries` is
 * empty: the consumer has had them. The JWS may be given as 0x00 ‖ its bytes.
 *
 * The signature and the leaf hash are computed on this thread: on libuv's thread pool each job
 * took its own copy of the batch, about 48 MB more at the reader's peak for a 24 MB batch, to
 * save some 35 ms of hashing that the two cores were busy with anyway (test/bench/README.md).
 */
export function verifyBatchInChunks<T>(
  jws: CompactJws,
  ctx: BatchContext,
  consumer: EntryConsumer<T>,
): { batch: Omit<VerifiedBatch, 'jws'>; speculated: T } {
  const inspected = inspectCompactJws(jws, ctx.keys, BATCH_TYP);
  checkSignature(inspected);
  const { key, leafInput } = inspected;
  const leafHash = toBase64Url(typeof jws !== 'string' && jws.leafHash ? jws.leafHash : leafHashOfInput(leafInput));
  consumer.authentic(leafInput);
  let entryCount = 0;
  const text = decodePayload(inspected);
  // The payload's bytes are dead once they are text: 18 MB of a 24 MB batch, freed before the
  // entries are parsed rather than at a collection after them.
  const payloadBuffer = ownBuffer(inspected.payloadBytes);
  if (payloadBuffer) freeNow([payloadBuffer]);
  const shaped = parsePayloadInChunks(
    text,
    (chunk, first) => {
      entryCount += chunk.length;
      consumer.entries(chunk, first);
    },
    (members) => consumer.start(members),
  );
  const payload = checkPlace(shaped, ctx, key);
  const speculated = consumer.finish(payload);
  const batch = {
    publisher: payload.publisher,
    seq: payload.seq,
    leafHash,
    kid: key.kid,
    issuedAt: parseTimestamp(payload.issuedAt)!,
    entryCount,
    payload,
    ...tlpOf(payload),
  };
  return { batch, speculated };
}

export function checkPayload(payloadText: string, ctx: BatchContext, key: PinnedKey): BatchPayload {
  return checkPlace(checkBatchShape(parseStrictJson(payloadText, 'payload')), ctx, key);
}

/** The checks after the payload's shape: its publisher, its key's validity, its place in the feed. */
function checkPlace(payload: BatchPayload, ctx: BatchContext, key: PinnedKey): BatchPayload {
  if (payload.publisher !== ctx.publisher) {
    throw new SpamxError('BATCH_WRONG_PUBLISHER', `batch names publisher "${payload.publisher}", expected "${ctx.publisher}"`);
  }
  checkKeyInForce(key.kid, key.validity, payload.seq); // the seq is known only now
  const expectedSeq = ctx.head.size + 1;
  if (payload.seq !== expectedSeq) {
    throw new SpamxError('BATCH_SEQ_GAP', `batch has seq ${payload.seq} where ${expectedSeq} comes next`, { seq: payload.seq });
  }
  if (payload.prev !== ctx.head.head) {
    throw new SpamxError(
      'BATCH_PREV_MISMATCH',
      `seq ${payload.seq} has prev ${String(payload.prev)}, but batch ${ctx.head.size} has leaf hash ${String(ctx.head.head)}`,
      { seq: payload.seq },
    );
  }
  return payload;
}
