import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { z } from 'zod';
import { backoffDelay } from '../core/backoff.js';
import { describeError, SpamxError, type ErrorCode } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import type { NodeConfig } from '../config/config.js';
import type { Peer } from '../config/peers.js';
import { feedHead } from '../store/feed-store.js';
import type { Store } from '../store/open-store.js';
import { acquirePullLease, recordPullFailure, recordPullSuccess, releasePullLease, renewPullLease } from '../store/peer-state-store.js';
import { verifyBatchConcurrently } from '../verify/verify-batch.js';
import { evaluateBatch, ingestVerifiedBatch } from './ingest-batch.js';
import type { PeerHttpClient } from './http-client.js';

export interface PullDeps {
  readonly store: Store;
  readonly http: PeerHttpClient;
  readonly config: NodeConfig;
  readonly policy: () => Policy;
  readonly clock: () => number;
  readonly log: Logger;
}

export interface PullReport {
  readonly peer: string;
  readonly ok: boolean;
  /** Base URL the batches came from (the publisher or one of its mirrors). */
  readonly source: string | null;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly batches: number;
  readonly listed: number;
  readonly delisted: number;
  readonly refused: number;
  readonly durationMs: number;
  /** Sources tried before the one that answered (or all of them, when none did). */
  readonly failedSources: readonly { readonly source: string; readonly code: ErrorCode; readonly message: string }[];
  readonly error?: { readonly code: ErrorCode; readonly message: string; readonly seq: number | null };
}

const PageSchema = z.object({
  publisher: z.string(),
  batches: z.array(z.object({ seq: z.number().int().positive(), jws: z.string() })),
  next: z.number().int().nonnegative().nullable(),
});

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
  const tally = { batches: 0, listed: 0, delisted: 0, refused: 0 };
  const attempts: { source: string; code: ErrorCode; message: string }[] = [];
  const report = (source: string | null, error?: PullReport['error']): PullReport => ({
    peer: peer.id,
    ok: error === undefined,
    source,
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
    for (source of [peer.url, ...peer.mirrors]) {
      failure = await pullFrom(deps, peer, source, owner, tally, signal).then(
        () => undefined,
        (err: unknown) => (err instanceof SpamxError ? err : new SpamxError('INTERNAL', describeError(err))),
      );
      if (!failure || signal?.aborted) break;
      attempts.push({ source, code: failure.code, message: failure.message });
      // A publisher that answers with a bad feed is at fault; mirrors are for when it cannot
      // be reached. A bad mirror, though, must not hide a good one behind it.
      if (source === peer.url && !TRY_MIRROR.has(failure.code)) break;
      if (source !== (peer.mirrors.at(-1) ?? peer.url)) {
        deps.log.warn({ peer: peer.id, source, code: failure.code, err: failure.message }, 'source failed; trying the next');
      }
    }
    const now = deps.clock();
    if (!failure) {
      recordPullSuccess(deps.store, peer.id, source!, now);
      return report(source);
    }
    const seq = typeof failure.details?.seq === 'number' ? failure.details.seq : null;
    const failures = recordPullFailure(
      deps.store,
      peer.id,
      { code: failure.code, message: failure.message, seq, source },
      now,
      (n) => now + backoffDelay(n, { baseMs: deps.config.pull.backoffBaseMs, maxMs: deps.config.pull.backoffMaxMs }, Math.random()),
    );
    deps.log.warn({ peer: peer.id, source, code: failure.code, seq, failures, err: failure.message }, 'pull failed');
    return report(source, { code: failure.code, message: failure.message, seq });
  } finally {
    releasePullLease(deps.store, peer.id, owner);
  }
}

async function pullFrom(
  deps: PullDeps,
  peer: Peer,
  source: string,
  owner: string,
  tally: { batches: number; listed: number; delisted: number; refused: number },
  signal?: AbortSignal,
): Promise<void> {
  const quota = peer.quota === undefined ? deps.config.policy.defaultPeerQuota : peer.quota;
  const fetchPage = (after: number) => {
    const url = `${source}/v1/feeds/${encodeURIComponent(peer.id)}/batches?after=${after}&limit=${deps.config.pull.pageLimit}`;
    const page = deps.http.getJson(url, signal).then((body) => {
      const parsed = PageSchema.safeParse(body);
      if (!parsed.success || parsed.data.publisher !== peer.id) {
        throw new SpamxError('PEER_BAD_RESPONSE', `${url} did not answer a batch page of ${peer.id}`);
      }
      return parsed.data;
    });
    page.catch(() => undefined); // a prefetched page nobody awaits must not crash the process
    return page;
  };
  let after = feedHead(deps.store, peer.id).size;
  let pending = fetchPage(after);
  for (;;) {
    renewPullLease(deps.store, peer.id, owner, deps.clock() + deps.config.pull.leaseMs);
    const page = await pending;
    // Fetch the next page while this one is verified and applied.
    const more = page.next !== null && page.batches.length > 0 && page.next > after;
    if (more) pending = fetchPage(page.next!);
    for (const { jws } of page.batches) {
      if (signal?.aborted) return;
      const head = feedHead(deps.store, peer.id);
      const { batch, speculated } = await verifyBatchConcurrently(jws, { publisher: peer.id, keys: peer.pinned, head }, (payload) =>
        evaluateBatch(deps, payload),
      );
      const outcome = ingestVerifiedBatch(deps, batch, quota, speculated);
      tally.batches += outcome.applied ? 1 : 0;
      tally.listed += outcome.listed;
      tally.delisted += outcome.delisted;
      tally.refused += outcome.refused;
    }
    if (!more) return;
    after = page.next!;
  }
}

/** Lease holders are `host:pid:uuid`, so a lease left by a crashed process can be recognised. */
function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

/** A lease is abandoned when its holder was a process on this host that no longer runs. */
function isAbandonedLease(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
