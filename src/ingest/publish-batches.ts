import { verify } from 'node:crypto';
import { MAX_BATCH_ENTRIES, MAX_JWS_BYTES } from '../core/batch.js';
import { batchPayloadLength, batchPayloadPieces } from '../core/batch-payload-bytes.js';
import { EntryEvaluator } from '../core/evaluate-entries.js';
import { isSpamxError, SpamxError } from '../core/errors.js';
import { freeNow, ownBuffer } from '../core/free-buffers.js';
import { EntryColumns } from '../core/packed-entries.js';
import type { PublishedBatch } from '../core/published-batch.js';
import { ReportMerger } from '../core/report-merge.js';
import type { FeedHead } from '../core/feed-head.js';
import { leafHashOfInput, toBase64Url } from '../core/leaf-hash.js';
import { DAY_MS } from '../core/time.js';
import type { Identity } from '../config/identity.js';
import { feedHead } from '../store/feed-store.js';
import { writeTransaction } from '../store/open-store.js';
import { dequeueThrough, oldestQueueGroup, queuedCount, queuedReports, type QueueGroup } from '../store/queue-store.js';
import { DEFAULT_TLP, tlpName, tlpRank, type TlpLabel } from '../core/tlp.js';
import type { PinnedKeySet } from '../verify/pinned-keys.js';
import { storeAuthenticBatch, type AuthenticBatch, type IngestDeps } from './ingest-batch.js';
import { signBatchLeaf } from './sign-batch.js';
import { sealCut, SEALED_MAX_ENTRIES } from './seal-batch.js';
import { signOwnCheckpoint } from './own-checkpoint.js';
import { assertOwnKeyInForce, ownKeySet } from './own-key-set.js';

/** How far a publish has come: queued reports read into batches so far, of those queued at its start. */
export interface PublishProgress {
  readonly done: number;
  readonly total: number;
}

export interface PublishDeps extends IngestDeps {
  readonly identity: Identity;
  readonly progress?: ((p: PublishProgress) => void) | undefined;
}

const MAX_HEAD_RACES = 5;
/** Queued reports read between two progress calls. */
const PROGRESS_ROWS = 8192;

/**
 * Cuts batches of this node's feed from the report queue until it is empty: at most 100,000
 * entries each, one entry per prefix. Each batch is signed, checked as any receiver would check
 * it, then stored, merged and removed from the queue in one transaction. If another process
 * (a CLI `spamx publish` beside the daemon) advanced the feed meanwhile, the batch is cut again
 * from what is still queued.
 *
 * Memory is a batch's worth at a time, in its leanest forms: the queue is read a row at a time,
 * the payload is written an entry at a time (core/batch-payload-bytes.ts), its accepted
 * entries kept in columns (core/packed-entries.ts), and the JWS is one buffer, written, signed,
 * hashed and stored where it lies (sign-batch.ts signBatchLeaf), never a string.
 */
export async function publishQueued(deps: PublishDeps): Promise<PublishedBatch[]> {
  const published: PublishedBatch[] = [];
  const total = deps.progress ? queuedCount(deps.store) : 0;
  let done = 0;
  for (let races = 0; races < MAX_HEAD_RACES; ) {
    const ownKeys = ownKeySet(deps.store, deps.config.id, deps.identity);
    const group = nextGroup(deps);
    if (!group) return published;
    // A sealed batch's outer JWS is about 1.78 times its inner one (seal-batch.ts): fewer entries
    // keep it inside the 48 MiB every receiver accepts.
    const merger = new ReportMerger(deps.config.publish.defaultExpiryDays * DAY_MS, group.recipients === null ? MAX_BATCH_ENTRIES : SEALED_MAX_ENTRIES);
    let lastId = 0;
    let read = 0;
    for (const row of queuedReports(deps.store, group)) {
      if (!merger.add(row)) break;
      lastId = row.id;
      if (++read % PROGRESS_ROWS === 0) deps.progress?.({ done: Math.min(done + read, total), total });
    }
    if (merger.size === 0) return published;
    const head = feedHead(deps.store, deps.config.id);
    // Told again once the entries are packed, before the JWS is made: a caller that collects
    // garbage then (the CLI, cli/collect-garbage.ts) has the columns' growth freed first.
    const tick = () => deps.progress?.({ done: Math.min(done + read, total), total });
    const cut = cutBatch(deps, merger, head, ownKeys, tick, tlpName(group.tlp));
    // A group sealed to partners: the batch cut is the inner JWS of a sealed one (seal-batch.ts).
    const { authentic, leafInput } = group.recipients === null ? cut : await sealCut(deps, cut, group.recipients, tlpName(group.tlp));
    try {
      writeTransaction(deps.store, () => {
        assertOwnKeyInForce(deps.store, deps.config.id, authentic.kid, authentic.seq);
        storeAuthenticBatch(deps, authentic, null);
        signOwnCheckpoint(deps.store, { id: deps.config.id, origin: deps.config.origin, key: deps.identity.signingKey }, deps.clock());
        dequeueThrough(deps.store, lastId, group);
      });
    } catch (err) {
      if (isSpamxError(err, 'BATCH_SEQ_GAP') || isSpamxError(err, 'BATCH_PREV_MISMATCH')) {
        races++;
        continue;
      }
      throw err;
    } finally {
      free(leafInput); // copied into the store by SQLite; 23 MB back now, before the next batch
    }
    done += read;
    deps.progress?.({ done: Math.min(done, total), total });
    published.push({ seq: authentic.seq, entries: authentic.entryCount, leafHash: authentic.leafHash });
  }
  return published;
}

/**
 * The queue's next group (store/queue-store.ts oldestQueueGroup), the one holding its oldest report:
 * the one place the queue is split into batches. A batch carries one label (its payload's
 * `tlp`); the key is (label, recipients) — recipients are part of it, so that reports sealed to
 * some partners never share a batch with reports for others or for everyone. Rows queued
 * without a label take the node's default (`publish.tlp`, green if unset).
 */
export function nextGroup(deps: Pick<PublishDeps, 'store' | 'config'>): (QueueGroup & { defaultTlp: number }) | undefined {
  const defaultTlp = tlpRank(ownDefaultTlp(deps.config));
  const group = oldestQueueGroup(deps.store, defaultTlp);
  return group && { ...group, defaultTlp };
}

/** The label this node publishes under unless a report names one. */
export function ownDefaultTlp(config: PublishDeps['config']): TlpLabel {
  return config.publish.tlp ?? DEFAULT_TLP;
}

/**
 * The next batch of the node's own feed, signed and checked. Its entries go through local policy
 * as a receiver's do (EntryEvaluator over each entry's wire form) into columns, while the
 * payload's length is counted; then the payload is written a piece at a time straight into the
 * JWS (sign-batch.ts signBatchLeaf), and the signature is verified with the node's own pinned
 * key, as a receiver verifies it. The payload is not parsed back: it is the JSON of exactly
 * those wire forms. Its place in the feed (seq, prev) and the key's validity for its seq are
 * checked again inside the storing transaction.
 */
function cutBatch(
  deps: PublishDeps,
  merger: ReportMerger,
  head: FeedHead,
  ownKeys: PinnedKeySet,
  packed: () => void,
  tlp: TlpLabel,
): { authentic: AuthenticBatch; leafInput: Buffer } {
  const evaluator = new EntryEvaluator(deps.policy());
  let columns: EntryColumns | undefined = new EntryColumns();
  const payloadHead = { publisher: deps.config.id, seq: head.size + 1, prev: head.head, issuedAt: deps.clock(), tlp };
  const { bytes, entries } = batchPayloadLength(payloadHead, merger.values(), (wire, index) => {
    const entry = evaluator.evaluate(wire, index);
    if (entry) columns!.push(entry, index);
  });
  // Expiry is capped relative to the batch's own issuedAt (ingest-batch.ts evaluateVerified).
  const accepted = columns.pack(payloadHead.issuedAt + deps.config.policy.maxExpiryDays * DAY_MS);
  columns = undefined;
  packed();
  const leafInput = signBatchLeaf(batchPayloadPieces(payloadHead, merger.values()), bytes, deps.identity);
  merger.clear();
  const jwsBytes = leafInput.length - 1;
  if (jwsBytes > MAX_JWS_BYTES) {
    // What every receiver would refuse (PROTOCOL "Batch"), as verify-jws.ts refuses it.
    free(leafInput);
    throw new SpamxError('JWS_TOO_LARGE', `compact JWS is ${jwsBytes} bytes; at most ${MAX_JWS_BYTES} accepted`);
  }
  checkOwnSignature(leafInput, ownKeys, deps.identity.kid);
  const authentic = {
    ...payloadHead,
    leafHash: toBase64Url(leafHashOfInput(leafInput)),
    jws: leafInput.subarray(1),
    kid: deps.identity.kid,
    entryCount: entries,
    accepted,
    refused: evaluator.refused,
    tlp: tlpRank(tlp),
  };
  return { authentic, leafInput };
}

/** The Ed25519 signature of 0x00 ‖ JWS verifies with this node's pinned key `kid` (verify-jws.ts checkSignature). */
function checkOwnSignature(leafInput: Buffer, ownKeys: PinnedKeySet, kid: string): void {
  const key = ownKeys.get(kid);
  if (!key) throw new SpamxError('JWS_UNKNOWN_KID', `kid ${JSON.stringify(kid)} is not a pinned key of this node`);
  const dot = leafInput.lastIndexOf(0x2e);
  const signature = Buffer.from(leafInput.subarray(dot + 1).toString('latin1'), 'base64url');
  if (!verify(null, leafInput.subarray(1, dot), key.keyObject, signature)) {
    throw new SpamxError('JWS_BAD_SIGNATURE', `Ed25519 signature does not verify with key ${kid}`);
  }
}

/** Frees a buffer this publish made and nothing else views (core/free-buffers.ts). */
function free(bytes: Uint8Array): void {
  const own = ownBuffer(bytes);
  if (own) freeNow([own]);
}
