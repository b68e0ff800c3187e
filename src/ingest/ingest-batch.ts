import type { Logger } from 'pino';
import type { NodeConfig } from '../config/config.js';
import { evaluateEntries } from '../core/evaluate-entries.js';
import type { IngestObserver } from '../core/ingest-observer.js';
import { packEntries } from '../core/packed-entries.js';
import type { Policy } from '../core/policy.js';
import { DAY_MS } from '../core/time.js';
import { applyBatch, applyBatchStream, type ApplyOutcome, type BatchPiece, type BatchStart, type BatchToApply } from '../store/apply-batch.js';
import type { Store } from '../store/open-store.js';
import type { VerifiedBatch } from '../verify/verify-batch.js';

export interface IngestDeps {
  readonly store: Store;
  readonly config: NodeConfig;
  readonly policy: () => Policy;
  readonly clock: () => number;
  readonly log: Logger;
  /** Told of each pull's outcome and each pulled batch (the serving node's metrics). */
  readonly observer?: IngestObserver;
}

/** A verified batch with its entries already through local policy, ready to store. */
export type AuthenticBatch = Omit<BatchToApply, 'quota'>;

/**
 * Local policy over every entry of a verified batch, on this thread (the pull path does the
 * same on the decoder thread, src/ingest/decode-batch.ts). Expiry is capped relative to the
 * batch's own issuedAt, not this node's clock, so every node given the same batches ends with
 * the same store.
 */
export function evaluateVerified(deps: IngestDeps, batch: VerifiedBatch): AuthenticBatch {
  const { accepted, acceptedIndexes, refused } = evaluateEntries(batch.payload.entries, {
    policy: deps.policy(),
    expiryCap: batch.issuedAt + deps.config.policy.maxExpiryDays * DAY_MS,
  });
  return { ...batch, prev: batch.payload.prev, accepted: packEntries(accepted, acceptedIndexes), refused };
}

/**
 * An authentic batch goes into the log whole; its entries that passed local policy go into the
 * merged store, in the same transaction.
 */
export function storeAuthenticBatch(deps: IngestDeps, batch: AuthenticBatch, quota: number | null): ApplyOutcome {
  deps.log.debug({ publisher: batch.publisher, seq: batch.seq, entries: batch.entryCount }, 'applying batch');
  const { publisher, seq, prev, leafHash, jws, kid, issuedAt, entryCount, accepted, refused, tlp, tlpNote, sealed } = batch;
  const outcome = applyBatch(deps.store, { publisher, seq, prev, leafHash, jws, kid, issuedAt, entryCount, accepted, refused, quota, tlp, tlpNote, sealed }, deps.clock());
  if (outcome.applied) deps.log.info({ publisher, seq, ...outcome }, 'batch applied');
  return outcome;
}

/**
 * A batch from the reader thread, stored as its pieces come (store/apply-batch.ts
 * applyBatchStream): `start` once its signature verified, then `next` until its end.
 */
export function storeStreamedBatch(deps: IngestDeps, start: BatchStart, next: () => BatchPiece): ApplyOutcome {
  deps.log.debug({ publisher: start.publisher, seq: start.seq }, 'applying batch');
  const outcome = applyBatchStream(deps.store, start, next, deps.clock());
  if (outcome.applied) deps.log.info({ publisher: start.publisher, seq: start.seq, ...outcome }, 'batch applied');
  return outcome;
}
