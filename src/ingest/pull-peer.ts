import { backoffDelay } from '../core/backoff.js';
import { describeError, fromErrorData, isSpamxError, SpamxError, type ErrorCode } from '../core/errors.js';
import type { PullReport } from '../core/pull-report.js';
import type { Peer } from '../config/peers.js';
import { feedHead, lastBatchBytes, listingRows } from '../store/feed-store.js';
import { loadOwnEncKeys } from '../node-files/own-keys.js';
import { withoutAutocheckpoint } from '../store/open-store.js';
import { acquirePullLease, recordPullFailure, recordPullSuccess, releasePullLease, renewPullLease } from '../store/peer-state-store.js';
import { DAY_MS } from '../core/time.js';
import type { PeerHttpClient } from './http-client.js';
import type { ReaderThread, RemoteFeed } from './reader-thread.js';
import { freeNow } from '../core/free-buffers.js';
import type { PackedEntries } from '../core/packed-entries.js';
import type { BatchPiece, BatchSummary } from '../store/apply-batch.js';
import { freeEntries, snapshotPolicy } from './decode-batch.js';
import { storeStreamedBatch, type IngestDeps } from './ingest-batch.js';
import { isAbandonedLease, leaseOwner } from './pull-lease-owner.js';
import { redactCredentials } from '../core/redact-credentials.js';
import { followKeyStatements } from './follow-keys.js';
import { keyHistoryOf } from '../store/key-statement-store.js';
import { keySetOf, plainKeys } from '../verify/key-set.js';

/** Running totals of one pull. */
type Tally = { batches: number; listed: number; delisted: number; refused: number };

export interface PullDeps extends IngestDeps {
  readonly reader: ReaderThread;
  /** For the key statements (follow-keys.ts); batches come through `reader`. */
  readonly http: PeerHttpClient;
  /** Told when following the peer's key statements changed its pins (README "Key rotation"). */
  readonly repinned?: (peer: Peer) => void;
}

/** Publisher failures after which its mirrors are tried: it could not be reached or answered nonsense. */
const TRY_MIRROR: ReadonlySet<ErrorCode> = new Set([
  'PEER_UNREACHABLE',
  'PEER_HEADERS_TIMEOUT',
  'PEER_BODY_TIMEOUT',
  'PEER_DEADLINE_EXCEEDED',
  'PEER_HTTP_ERROR',
  'PEER_BAD_RESPONSE',
]);

/**
 * Pulls one peer's feed, incrementally from the last verified seq: from the peer itself, or
 * from its mirrors when it is unreachable (batches are verified against the peer's pinned key
 * whoever serves them). Each batch is verified, then applied in its own transaction, so a
 * failure keeps everything before it. A lease in the store keeps two pulls of one peer apart.
 */
export async function pullPeer(deps: PullDeps, peer: Peer, signal?: AbortSignal): Promise<PullReport> {
  const started = deps.clock();
  const owner = leaseOwner();
  const fromSeq = feedHead(deps.store, peer.id).size;
  const tally: Tally = { batches: 0, listed: 0, delisted: 0, refused: 0 };
  const attempts: { source: string; code: ErrorCode; message: string }[] = [];
  // What is logged, stored and answered names sources without their credentials.
  const report = (source: string | null, error?: PullReport['error']): PullReport => ({
    peer: peer.id,
    ok: error === undefined,
    source: source === null ? null : redactCredentials(source),
    fromSeq,
    toSeq: feedHead(deps.store, peer.id).size,
    ...tally,
    durationMs: deps.clock() - started,
    failedSources: attempts,
    ...(error ? { error } : {}),
  });
  if (!acquirePullLease(deps.store, peer.id, owner, started + deps.config.pull.leaseMs, started, isAbandonedLease)) {
    return report(null, { code: 'PEER_BUSY', message: `a pull of ${peer.id} is already running`, seq: null });
  }
  try {
    let failure: SpamxError | undefined;
    let source: string | null = null;
    const lease = { owner, renewedAt: started };
    for (source of [peer.url, ...peer.mirrors]) {
      failure = await pullFollowingKeys({ deps, source, lease, tally, signal }, peer).then(
        () => undefined,
        (err: unknown) => (err instanceof SpamxError ? err : new SpamxError('INTERNAL', describeError(err))),
      );
      if (!failure || signal?.aborted) break;
      const attempt = { source: redactCredentials(source), code: failure.code, message: redactCredentials(failure.message) };
      attempts.push(attempt);
      // A publisher that answers with a bad feed is at fault; mirrors are for when it cannot
      // be reached. A bad mirror, though, must not hide a good one behind it.
      if (source === peer.url && !TRY_MIRROR.has(failure.code)) break;
      if (source !== (peer.mirrors.at(-1) ?? peer.url)) {
        deps.log.warn({ peer: peer.id, source: attempt.source, code: attempt.code, err: attempt.message }, 'source failed; trying the next');
      }
    }
    const now = deps.clock();
    if (!failure) {
      recordPullSuccess(deps.store, peer.id, redactCredentials(source!), now);
      return report(source);
    }
    const seq = typeof failure.details?.seq === 'number' ? failure.details.seq : null;
    const message = redactCredentials(failure.message);
    const shownSource = source === null ? null : redactCredentials(source);
    const failures = recordPullFailure(
      deps.store,
      peer.id,
      { code: failure.code, message, seq, source: shownSource },
      now,
      (n) => now + backoffDelay(n, { baseMs: deps.config.pull.backoffBaseMs, maxMs: deps.config.pull.backoffMaxMs }, Math.random()),
    );
    deps.log.warn({ peer: peer.id, source: shownSource, code: failure.code, seq, failures, err: message }, 'pull failed');
    return report(source, { code: failure.code, message, seq });
  } finally {
    releasePullLease(deps.store, peer.id, owner);
    // The WAL the last batch left is checkpointed once the pull has written all it writes:
    // started earlier, the checkpoint's writes and fsync slowed the pull's own last commits.
    if (tally.batches > 0) deps.reader.checkpoint(deps.store.db.name);
  }
}

/**
 * pullFrom with the peer's keys brought up to date from the same source first, so a rotation or
 * revocation is known before any batch from it is verified, and again when a batch names a kid
 * still unknown (the publisher rotated meanwhile). The first batch downloads meanwhile: for a
 * 24 MB batch the key statements' round trip then costs nothing.
 */
async function pullFollowingKeys(run: PullRun, peer: Peer): Promise<void> {
  const { deps, source, signal } = run;
  const feed = openFeed(run, peer);
  let current: Peer;
  try {
    current = await followKeyStatements(deps, peer, source, signal);
  } catch (err) {
    feed.close();
    throw err;
  }
  try {
    await pullFrom(run, current, feed);
  } catch (err) {
    if (!isSpamxError(err, 'JWS_UNKNOWN_KID')) throw err;
    const followed = await followKeyStatements(deps, current, source, signal);
    if (followed === current) throw err;
    await pullFrom(run, followed, openFeed(run, followed));
  }
}

/** One pull from one source: where from, under which lease, adding to which totals. */
interface PullRun {
  readonly deps: PullDeps;
  readonly source: string;
  /** The pull lease this process holds on the peer, and when it last moved its end. */
  readonly lease: { readonly owner: string; renewedAt: number };
  readonly tally: Tally;
  readonly signal: AbortSignal | undefined;
}

/** A feed of the peer on the reader thread, its first batch asked for at once; its keys follow (pullFrom). */
function openFeed({ deps, source }: PullRun, peer: Peer): RemoteFeed {
  const policy = deps.policy();
  const feed = deps.reader.open({
    source,
    pageLimit: deps.config.pull.pageLimit,
    publisher: peer.id,
    head: feedHead(deps.store, peer.id),
    lastBatchBytes: lastBatchBytes(deps.store, peer.id),
    storeRows: listingRows(deps.store),
    policy: snapshotPolicy(policy, deps.config.policy.maxExpiryDays * DAY_MS, policy.allowlist.members().map((p) => p.text)),
    // Batches sealed to this node open on the reader thread with its encryption keys (posted as KeyObjects).
    opening: { self: deps.config.id, keys: loadOwnEncKeys(deps.config.paths).map(({ kid, privateKey }) => ({ kid, privateKey })) },
  });
  feed.request();
  return feed;
}

async function pullFrom({ deps, lease, tally, signal }: PullRun, peer: Peer, feed: RemoteFeed): Promise<void> {
  const quota = peer.quota === undefined ? deps.config.policy.defaultPeerQuota : peer.quota;
  feed.setKeys(plainKeys(keySetOf(keyHistoryOf(deps.store, peer.id), peer.pinned)));
  try {
    for (;;) {
      const message = await feed.receive();
      if (message.type === 'done') return;
      if (message.type === 'error') throw fromErrorData(message.error);
      if (message.type !== 'begin') throw new SpamxError('INTERNAL', `feed reader sent "${message.type}" outside a batch`);
      if (signal?.aborted) return;
      feed.request(); // the reader thread fetches and verifies the next batch while this one is stored
      // The lease runs for pull.leaseMs (15 minutes by default) and is renewed once a third of it
      // has passed: renewing before every batch cost a committed write (an fsync) per batch.
      const now = deps.clock();
      if (now - lease.renewedAt > deps.config.pull.leaseMs / 3) {
        renewPullLease(deps.store, peer.id, lease.owner, now + deps.config.pull.leaseMs);
        lease.renewedAt = now;
      }
      const start = { publisher: peer.id, seq: message.seq, jws: message.jws, quota };
      // Past the first batch, the WAL the one before left is checkpointed while this one is stored.
      if (tally.batches > 0) deps.reader.checkpoint(deps.store.db.name);
      deps.observer?.batchVerified(peer.id, message.verifyMs ?? 0);
      const applyStarted = performance.now();
      let refusedByPolicy: BatchSummary['refused'] = [];
      const pieces = piecesOf(feed, (end) => (refusedByPolicy = end.refused));
      const outcome = withoutAutocheckpoint(deps.store, () => storeStreamedBatch(deps, start, pieces));
      if (outcome.applied) deps.observer?.batchApplied(peer.id, performance.now() - applyStarted, outcome, refusalCodes(refusedByPolicy, outcome.refused));
      freeNow([message.jws.buffer as ArrayBuffer]);
      tally.batches += outcome.applied ? 1 : 0;
      tally.listed += outcome.listed;
      tally.delisted += outcome.delisted;
      tally.refused += outcome.refused;
    }
  } finally {
    feed.close();
  }
}

/**
 * A batch's pieces as the reader thread sends them, each taken blocking (batch-channel.ts).
 * A chunk of entries is freed once the next piece is asked for: it has been merged by then.
 */
function piecesOf(feed: RemoteFeed, ended: (batch: BatchSummary) => void): () => BatchPiece {
  let merged: PackedEntries | undefined;
  return () => {
    if (merged) freeEntries(merged);
    merged = undefined;
    const message = feed.take();
    if (message.type === 'entries') merged = message.entries;
    if (message.type === 'end') ended(message.batch);
    if (message.type === 'entries' || message.type === 'end' || message.type === 'error') return message;
    throw new SpamxError('INTERNAL', `feed reader sent "${message.type}" inside a batch`);
  };
}

/**
 * A stored batch's refused entries by code, for the metrics: those local policy refused (the
 * `end` piece names them) and, past them, those the quota guard refused while merging.
 */
function refusalCodes(byPolicy: BatchSummary['refused'], total: number): Map<ErrorCode, number> {
  const codes = new Map<ErrorCode, number>();
  for (const r of byPolicy) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  if (total > byPolicy.length) codes.set('QUOTA_EXCEEDED', total - byPolicy.length);
  return codes;
}
