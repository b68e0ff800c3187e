import { createPublicKey } from 'node:crypto';
import type { Transferable } from 'node:worker_threads';
import { EntryEvaluator } from '../core/evaluate-entries.js';
import { freeNow, ownBuffer } from '../core/free-buffers.js';
import { EntryColumns, transferables, type PackedEntries } from '../core/packed-entries.js';
import type { Policy } from '../core/policy.js';
import { parsePrefix } from '../core/prefix.js';
import { PrefixSet } from '../core/prefix-set.js';
import { parseTimestamp } from '../core/time.js';
import type { KeyValidity } from '../core/key-history.js';
import type { PinnedKey, PublicJwk } from '../verify/pinned-keys.js';
import type { FeedHead } from '../core/feed-head.js';
import { batchTlp, TLP_GREEN, tlpRank, type TlpRank } from '../core/tlp.js';
import { verifyBatchInChunks } from '../verify/verify-batch.js';
import type { FeedMessage } from './batch-channel.js';
import { openSealedBatch, type OpenedSealed } from './open-sealed-batch.js';
import type { OpeningKeys } from './open-sealed.js';
import type { CompactJws } from '../verify/verify-jws.js';

/** Local policy as plain data, so it can be sent to the decoder thread. */
export interface PolicySnapshot {
  readonly minPrefixLength: { readonly 4: number; readonly 6: number };
  readonly allowlist: readonly string[];
  readonly maxExpiryMs: number;
}

/** A publisher's key as the reader thread is given it: plain data. */
export interface FeedKey {
  readonly kid: string;
  readonly jwk: PublicJwk;
  readonly validity?: KeyValidity;
}

export interface DecodeRequest {
  /** The batch: as text (from a page of batches) or as 0x00 ‖ its bytes (fetched alone). */
  readonly jws: CompactJws;
  readonly publisher: string;
  /** Each key with the seq range it may sign, when the publisher's key statements name it. */
  readonly keys: readonly FeedKey[];
  readonly head: FeedHead;
  readonly policy: PolicySnapshot;
  /** About how many listings the store holds (streamChunk). */
  readonly storeRows: number;
  /** This node's id and encryption private keys, to open batches sealed to it (open-sealed-batch.ts). */
  readonly opening?: OpeningKeys | undefined;
}

export function snapshotPolicy(policy: Policy, maxExpiryMs: number, allowlist: readonly string[]): PolicySnapshot {
  return { minPrefixLength: { ...policy.minPrefixLength }, allowlist, maxExpiryMs };
}

let cachedAllowlist: { texts: readonly string[]; set: PrefixSet } | undefined;

function toPolicy(snapshot: PolicySnapshot): Policy {
  const texts = snapshot.allowlist;
  if (!cachedAllowlist || cachedAllowlist.texts.join('\n') !== texts.join('\n')) {
    const prefixes = texts.map((t) => parsePrefix(t)).flatMap((p) => (p.ok ? [p.prefix] : []));
    cachedAllowlist = { texts, set: new PrefixSet(prefixes) };
  }
  return { minPrefixLength: snapshot.minPrefixLength, allowlist: cachedAllowlist.set };
}

/** Fewest accepted entries per `entries` message: about 12 per 100,000-entry batch. */
export const STREAM_CHUNK = 8192;

/**
 * Entries per `entries` message when the store already holds `storeRows` listings. Each chunk
 * is merged in key order, and on a large store key order is what keeps SQLite's B-tree accesses
 * local: 100,000 upserts into 900,000 listings took 200 ms sorted whole, 240 ms in chunks of
 * 50,000 and 530 ms in chunks of 8,192; into 300,000, 168, 177 (25,000) and 237 ms; into an empty
 * store chunks of 8,192 cost nothing (2-core machine, src/README.md "Design notes"). Small chunks reach the
 * store sooner, so storing overlaps decoding; large ones keep the merge local.
 */
function streamChunk(storeRows: number): number {
  return Math.max(STREAM_CHUNK, Math.ceil(storeRows / 12));
}

/** Sends one message to the storing thread, moving `transfer` rather than copying it. */
export type FeedPost = (message: FeedMessage, transfer?: readonly Transferable[]) => void;

/**
 * Verifies one batch (PROTOCOL "Validity and local policy", question 1) and evaluates its
 * entries against local policy (question 2), sending it to the storing thread as it goes
 * (ingest/batch-channel.ts): `begin` with its JWS bytes as soon as its signature verified, then
 * its accepted entries in columns (core/packed-entries.ts) streamChunk at a time, each chunk
 * in prefix-key order, then `end` once every check passed. The storing thread applies the
 * chunks as they come, inside a transaction that commits only at `end`. Throws the SpamxError
 * that rejects the batch (after `begin` or before it); the caller sends it on. Returns the
 * feed's head after the batch, for the next batch's checks, and how many entries it had. Runs
 * on the feed-reader thread.
 */
export function decodeBatch(req: DecodeRequest, post: FeedPost): { head: FeedHead; entries: number } {
  const started = performance.now();
  const keys = new Map<string, PinnedKey>(
    req.keys.map(({ kid, jwk, validity }) => [kid, { kid, jwk, keyObject: createPublicKey({ key: { ...jwk }, format: 'jwk' }), ...(validity ? { validity } : {}) }]),
  );
  const evaluator = new EntryEvaluator(toPolicy(req.policy));
  let columns = new EntryColumns();
  const chunkSize = streamChunk(req.storeRows);
  // Expiry is capped relative to the batch's own issuedAt (ingest-batch.ts says why). Until it
  // is known (a payload that names it after its entries), entries are held, not sent.
  let expiryCap: number | undefined;
  const capOf = (issuedAt: unknown) => {
    const ms = parseTimestamp(issuedAt);
    return ms === undefined ? Infinity : ms + req.policy.maxExpiryMs;
  };
  // The label the entries are merged under: the payload's `tlp` when it comes before the
  // entries (spamx writes it there); otherwise green, which the storing side puts right at `end`.
  let tlp: TlpRank = TLP_GREEN;
  const send = () => {
    const entries = columns.pack(expiryCap);
    post({ type: 'entries', entries, tlp }, transferables(entries));
    columns = new EntryColumns();
  };
  let sealed: OpenedSealed | undefined;
  const { batch } = verifyBatchInChunks(req.jws, { publisher: req.publisher, keys, head: req.head }, {
    authentic: (leafInput) => {
      const jws = leafInput.subarray(1);
      // A batch fetched alone has an ArrayBuffer of its own (0x00 ‖ JWS): it moves. One taken
      // from a page may sit in Buffer's shared pool of small allocations, which must not: copied.
      const own = ownBuffer(leafInput);
      const verifyMs = performance.now() - started;
      post({ type: 'begin', seq: req.head.size + 1, jws: own ? jws : new Uint8Array(jws), verifyMs }, own ? [own] : []);
    },
    // A batch whose issuedAt is not a timestamp fails its shape check before it ends.
    start: (members) => {
      if (members && 'issuedAt' in members) expiryCap = capOf(members.issuedAt);
      if (members && 'tlp' in members) tlp = batchTlp(members.tlp).rank;
    },
    entries: (chunk, first) => {
      for (let i = 0; i < chunk.length; i++) {
        const entry = evaluator.evaluate(chunk[i], first + i);
        if (entry) columns.push(entry, first + i);
      }
      if (expiryCap !== undefined && columns.size >= chunkSize) send();
    },
    finish: (payload) => {
      expiryCap ??= capOf(payload.issuedAt);
      if (payload.sealed) {
        // Its entries are inside the JWE: sent at once, only when every check of them passed.
        const policy = toPolicy(req.policy);
        sealed = openSealedBatch(payload, { ...req, keys, evaluator: () => new EntryEvaluator(policy), expiryCap });
        if (sealed.accepted && sealed.accepted.count > 0) post({ type: 'entries', entries: sealed.accepted, tlp: tlpRank(payload.sealed.tlp) }, transferables(sealed.accepted));
        return;
      }
      if (columns.size > 0) send();
    },
  });
  post({
    type: 'end',
    batch: {
      seq: batch.seq,
      prev: batch.payload.prev,
      leafHash: batch.leafHash,
      kid: batch.kid,
      issuedAt: batch.issuedAt,
      entryCount: batch.entryCount,
      refused: evaluator.refused,
      tlp: batch.tlp,
      ...(batch.tlpNote === undefined ? {} : { tlpNote: batch.tlpNote }),
      ...(sealed ? { sealed: sealed.record, entryCount: sealed.entryCount, refused: sealed.refused } : {}),
    },
  });
  return { head: { size: batch.seq, head: batch.leafHash }, entries: batch.entryCount };
}

/**
 * Frees a merged chunk's buffers at once (core/free-buffers.ts): its entry columns, which
 * arrived from the reader thread and are this thread's alone. The chunk is unusable after.
 */
export function freeEntries(entries: PackedEntries): void {
  freeNow(transferables(entries));
}
