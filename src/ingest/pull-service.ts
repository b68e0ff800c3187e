import type { Peer } from '../config/peers.js';
import type { PullReport } from '../core/pull-report.js';
import { parseVerifierKey } from '../core/signed-note.js';
import { redactCredentials } from '../core/redact-credentials.js';
import { formatTimestamp } from '../core/time.js';
import { feedHead } from '../store/feed-store.js';
import { peerState } from '../store/peer-state-store.js';
import { witnessState } from '../store/witness-store.js';
import { PeerHttpClient } from './http-client.js';
import type { IngestDeps } from './ingest-batch.js';
import type { OwnIdentity } from './own-identity.js';
import { pullPeer } from './pull-peer.js';
import { ReaderThread } from './reader-thread.js';
import { requestSigner } from './request-signer.js';
import { Scheduler } from './scheduler.js';
import { collectOwnCosignature, witnessFeed } from './witness-feed.js';

/**
 * The most a small request to a peer may answer: a chain of key statements, a checkpoint or a
 * cosignature is a few hundred kilobytes at most.
 */
const CONTROL_BODY_BYTES = 4 * 1024 * 1024;

export interface PullServiceDeps extends IngestDeps {
  readonly identity: OwnIdentity;
  /** The pinned peers now (they change when the peers directory is edited). */
  readonly peers: () => ReadonlyMap<string, Peer>;
  /** A pull followed a key rotation and re-pinned the peer. */
  readonly repinned: (peer: Peer) => void;
  /** A pull stored batches: the served list has catching up to do. */
  readonly pulled: () => void;
}

/**
 * Pulling partners' feeds: on their schedules once started, or when asked (`POST
 * /v1/peers/{id}/pull`, `spamx pull`). Each pull is checked by witnessing the partner's
 * checkpoint, and collects the partner's cosignature of this node's own log for its evidence
 * bundles. Owns the feed-reader thread and the connections kept for small requests to peers.
 */
export class PullService {
  private inFlight = 0;
  private readonly reader: ReaderThread;
  /**
   * Small requests to peers (key statements, checkpoints, cosignatures), over connections kept
   * for the node's life: a pull every few minutes then costs no new connection (and, behind
   * TLS, no new handshake) for its key statements.
   */
  private readonly controlHttp: PeerHttpClient;
  private readonly scheduler: Scheduler;
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: PullServiceDeps) {
    // Every request to a peer is signed with the node's current key (PROTOCOL "Partners only").
    const key = () => ({ kid: deps.identity.current.kid, key: deps.identity.current.signingKey });
    this.reader = new ReaderThread(deps.config.pull, () => ({ ...key(), clockOffsetMs: deps.clock() - Date.now() }));
    this.controlHttp = new PeerHttpClient({ ...deps.config.pull, maxBodyBytes: CONTROL_BODY_BYTES }, requestSigner(key, deps.clock));
    this.scheduler = new Scheduler(deps.log);
  }

  /** Pulls under way now. */
  get pulling(): number {
    return this.inFlight;
  }

  /** Asks the reader thread to checkpoint the WAL (after writes that left a large one). */
  checkpoint(): void {
    this.reader.checkpoint(this.deps.store.db.name);
  }

  /** Starts the reader thread before the first pull needs it, when there are peers to pull. */
  async warm(): Promise<void> {
    if (this.deps.peers().size > 0) await this.reader.warm();
  }

  /** Makes the pull schedules those of the peers now pinned, beside the given other jobs. */
  schedule(publish: () => Promise<unknown>): void {
    const { config, store, clock } = this.deps;
    this.scheduler.setJobs([
      { name: 'publish', schedule: config.publish.schedule, run: publish },
      ...[...this.deps.peers().values()].map((peer) => ({
        name: `pull:${peer.id}`,
        schedule: peer.schedule ?? config.pull.defaultSchedule,
        run: async () => {
          const next = peerState(store, peer.id).nextAttemptAt;
          if (next !== null && clock() < next) return; // backing off after failures
          await this.pull(peer.id);
        },
      })),
    ]);
  }

  /** Undefined when no such peer is pinned. */
  async pull(peerId: string): Promise<PullReport | undefined> {
    const peer = this.deps.peers().get(peerId);
    if (!peer) return undefined;
    const frozen = witnessState(this.deps.store, peer.id);
    if (frozen?.frozenAt) {
      const message = `feed of ${peer.id} is frozen since ${formatTimestamp(frozen.frozenAt)}: ${frozen.frozenReason}`;
      const size = feedHead(this.deps.store, peer.id).size;
      const refused: PullReport = { peer: peer.id, ok: false, source: null, fromSeq: size, toSeq: size, batches: 0, listed: 0, delisted: 0, refused: 0, durationMs: 0, failedSources: [], error: { code: 'FEED_FROZEN', message, seq: null } };
      this.deps.observer?.pullEnded(refused);
      return refused;
    }
    this.inFlight++;
    let report: PullReport;
    try {
      report = await this.pullAndWitness(peer);
    } finally {
      this.inFlight--;
    }
    if (report.batches > 0) this.deps.pulled();
    this.deps.observer?.pullEnded(report);
    return report;
  }

  async pullAll(): Promise<PullReport[]> {
    return Promise.all([...this.deps.peers().keys()].map((id) => this.pull(id) as Promise<PullReport>));
  }

  /** Stops the schedules and aborts pulls under way, waiting for them to end. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.scheduler.stop();
  }

  /** Ends the reader thread and the kept connections, once nothing can pull any more. */
  async close(): Promise<void> {
    await this.reader.close();
    await this.controlHttp.close();
  }

  private async pullAndWitness(peer: Peer): Promise<PullReport> {
    const { deps } = this;
    const report = await pullPeer({ ...deps, reader: this.reader, http: this.controlHttp }, peer, this.shutdown.signal);
    if (!report.ok || this.shutdown.signal.aborted) return report;
    await deps.identity.refresh();
    const self = { name: deps.config.origin, key: deps.identity.current.signingKey };
    const witnessDeps = { store: deps.store, http: this.controlHttp, clock: deps.clock, log: deps.log, self };
    const current = deps.peers().get(peer.id) ?? peer; // re-pinned if the pull followed a key rotation
    // The report names its source without credentials; the checkpoint is fetched from the URL itself.
    const source = [peer.url, ...peer.mirrors].find((u) => redactCredentials(u) === report.source) ?? peer.url;
    const witness = await witnessFeed(witnessDeps, current, source, [...deps.peers().values()]);
    if (witness.status !== 'cosigned') deps.log.warn({ peer: peer.id, ...witness }, 'checkpoint not cosigned');
    // And the partner's cosignature of this node's own log, for this node's evidence bundles.
    const own = { id: deps.config.id, key: parseVerifierKey(deps.identity.checkpointKey) };
    await collectOwnCosignature({ ...witnessDeps, own }, current);
    return { ...report, witness };
  }
}
