import { redactCredentials } from '../core/redact-credentials.js';
import { formatTimestamp } from '../core/time.js';
import { feedHead, listFeeds } from './feed-store.js';
import { storeCounts } from './merged-query.js';
import { latestCheckpoint } from './checkpoint-store.js';
import { latestCosignatures, listEvidence, witnessState } from './witness-store.js';
import { witnessedCheckpoint } from '../core/witness-quorum.js';
import type { Store } from './open-store.js';
import { peerState } from './peer-state-store.js';
import { queuedCount } from './queue-store.js';
import { refusalCounts } from './refusal-store.js';
import { listZoneSecondaries } from './zone-secondary-store.js';

export interface StatusPeer {
  readonly id: string;
  readonly url: string;
  readonly mirrors: readonly string[];
}

const iso = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

/** What `spamx status` and `GET /v1/status` show: own feed, each peer's last pull, store counts. */
export interface WitnessRules {
  readonly quorum: number;
  readonly maxAgeMs: number;
}

export function statusReport(
  store: Store,
  self: { id: string; kid: string; publicUrl: string; checkpointKey: string },
  peers: readonly StatusPeer[],
  now: number,
  witnessRules: WitnessRules,
) {
  const own = feedHead(store, self.id);
  const feeds = new Map(listFeeds(store).map((f) => [f.publisher, f]));
  const refusals: Record<string, Record<string, number>> = {};
  let refusalTotal = 0;
  for (const { publisher, code, count } of refusalCounts(store)) {
    (refusals[publisher] ??= {})[code] = count;
    refusalTotal += count;
  }
  return {
    id: self.id,
    kid: self.kid,
    checkpointKey: self.checkpointKey,
    url: self.publicUrl,
    time: formatTimestamp(now),
    feed: { size: own.size, head: own.head, queuedReports: queuedCount(store), checkpoint: latestCheckpoint(store, self.id)?.note ?? null },
    peers: peers.map((p) => {
      const s = peerState(store, p.id);
      const feed = feeds.get(p.id);
      return {
        id: p.id,
        // Status is answered over HTTP (/v1/status): a peer URL's credentials stay in its file.
        url: redactCredentials(p.url),
        mirrors: p.mirrors.map(redactCredentials),
        seq: feed?.size ?? 0,
        head: feed?.head ?? null,
        lastAttemptAt: iso(s.lastAttemptAt),
        lastSuccessAt: iso(s.lastSuccessAt),
        lastSource: s.lastSource,
        consecutiveFailures: s.failures,
        nextAttemptAt: iso(s.nextAttemptAt),
        lastError: s.lastErrorCode ? { code: s.lastErrorCode, message: s.lastError, at: iso(s.lastErrorAt) } : null,
        witness: witnessStatus(store, p.id, now, witnessRules),
      };
    }),
    store: { ...storeCounts(store, now), refusals: { total: refusalTotal, byPublisher: refusals } },
    alarms: listEvidence(store).map((e) => ({ publisher: e.publisher, kind: e.kind, detail: e.detail, at: iso(e.at) })),
    // DNS secondaries of the DNSBL zone (NOTIFY targets and clients that asked for a transfer).
    dnsSecondaries: listZoneSecondaries(store).map((z) => ({
      secondary: z.secondary,
      lastSerial: z.lastSerial,
      lastAckAt: iso(z.lastAckAt),
      lastTransferAt: iso(z.lastTransferAt),
      lastTransferKind: z.lastTransferKind,
      refused: z.refused,
      lastError: z.lastError ? { message: z.lastError, at: iso(z.lastErrorAt) } : null,
    })),
  };
}

/** A partner feed as this node witnesses it: trusted checkpoint, cosigners, quorum, freeze, staleness. */
function witnessStatus(store: Store, publisher: string, now: number, rules: WitnessRules) {
  const state = witnessState(store, publisher);
  const cosigs = latestCosignatures(store, publisher);
  const witnessed = witnessedCheckpoint(cosigs, rules.quorum);
  const stale = witnessed === undefined ? cosigs.length > 0 : now - witnessed.at * 1000 > rules.maxAgeMs;
  return {
    trustedSize: state?.trustedSize ?? 0,
    frozen: state?.frozenAt ? { at: iso(state.frozenAt), reason: state.frozenReason } : null,
    cosignatures: cosigs.map((c) => ({ witness: c.witness, size: c.size, time: iso(c.timestamp * 1000) })),
    witnessed: witnessed ? { size: witnessed.size, at: iso(witnessed.at * 1000), quorum: rules.quorum } : null,
    stale,
  };
}

export type StatusReport = ReturnType<typeof statusReport>;
