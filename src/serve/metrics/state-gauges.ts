import { Gauge, type Registry } from 'prom-client';
import type { OriginDataset } from '../../core/origin.js';
import { witnessedCheckpoint } from '../../core/witness-quorum.js';
import { listedNow } from '../../store/console-counters.js';
import type { Store } from '../../store/open-store.js';
import { peerState } from '../../store/peer-state-store.js';
import { latestCosignatures, witnessState } from '../../store/witness-store.js';

/** What the state gauges read when scraped. */
export interface StateSources {
  readonly store: Store;
  readonly clock: () => number;
  /** The ids of the peers pinned now. */
  readonly peers: () => Iterable<string>;
  /** The change-log position the read models reflect (the DNSBL's SOA serial). */
  readonly changePosition: () => number;
  /** The origin data sets in use, only if already loaded: a scrape never loads them. */
  readonly originDatasets: () => readonly OriginDataset[] | undefined;
  /** Distinct witnesses a feed's checkpoint needs (`transparency.witnessQuorum`). */
  readonly witnessQuorum: number;
}

/**
 * Gauges computed at scrape time: the served list's size (one meta row, not a count of the
 * table), the change-log position (memory), and per pinned peer its pull and witness state (a
 * few reads by primary key each). Peers no longer pinned drop out of the output.
 */
export function registerStateGauges(registry: Registry, s: StateSources): void {
  const registers = [registry];
  new Gauge({
    name: 'spamx_merged_list_size',
    help: 'Pieces on the served (effective) list, as last projected',
    registers,
    collect() {
      this.set(listedNow(s.store));
    },
  });
  new Gauge({
    name: 'spamx_changelog_position',
    help: "The change-log id the read models reflect (the DNSBL zone's SOA serial)",
    registers,
    collect() {
      this.set(s.changePosition());
    },
  });
  const perPeer = (name: string, help: string, value: (peer: string, now: number) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        const now = s.clock();
        for (const peer of s.peers()) {
          const v = value(peer, now);
          if (v !== undefined) this.set({ peer }, v);
        }
      },
    });
  perPeer('spamx_peer_last_success_timestamp_seconds', "When the peer's last successful pull ended (Unix time)", (peer) => {
    const at = peerState(s.store, peer).lastSuccessAt;
    return at === null ? undefined : at / 1000;
  });
  perPeer('spamx_peer_consecutive_failures', 'Failed pulls of the peer since its last success', (peer) => peerState(s.store, peer).failures);
  perPeer('spamx_witness_trusted_size', "Size of the peer's checkpoint this node last verified and trusts", (peer) => witnessState(s.store, peer)?.trustedSize ?? 0);
  const witnessed = (peer: string) => witnessedCheckpoint(latestCosignatures(s.store, peer), s.witnessQuorum);
  perPeer('spamx_witness_quorum_met', "1 when at least transparency.witnessQuorum witnesses cosigned a checkpoint of the peer's feed", (peer) => (witnessed(peer) ? 1 : 0));
  perPeer('spamx_witness_witnessed_size', "Largest size of the peer's feed that a quorum of witnesses cosigned", (peer) => witnessed(peer)?.size);
  perPeer('spamx_witness_witnessed_age_seconds', "Age of the quorum's cosignatures of the peer's feed", (peer, now) => {
    const w = witnessed(peer);
    return w ? Math.max(0, now / 1000 - w.at) : undefined;
  });
  perPeer('spamx_feed_frozen', "1 when the peer's feed is frozen (equivocation or rollback seen)", (peer) => (witnessState(s.store, peer)?.frozenAt ? 1 : 0));
  new Gauge({
    name: 'spamx_frozen_feeds',
    help: 'Pinned peers whose feed is frozen',
    registers,
    collect() {
      let frozen = 0;
      for (const peer of s.peers()) if (witnessState(s.store, peer)?.frozenAt) frozen++;
      this.set(frozen);
    },
  });
  new Gauge({
    name: 'spamx_origin_dataset_age_seconds',
    help: "Age of each origin data set in use, from its date (absent until the node first needed the data)",
    labelNames: ['dataset'],
    registers,
    collect() {
      this.reset();
      for (const d of s.originDatasets() ?? []) {
        const at = /^\d{4}-\d{2}-\d{2}$/.test(d.date) ? Date.parse(`${d.date}T00:00:00Z`) : NaN;
        if (Number.isFinite(at)) this.set({ dataset: d.name }, Math.max(0, (s.clock() - at) / 1000));
      }
    },
  });
}
