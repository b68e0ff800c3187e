import type { Identity } from '../config/identity.js';
import type { Peer } from '../config/peers.js';
import type { Origin, OriginDataset } from '../core/origin.js';
import type { Store } from '../store/open-store.js';

/** One stored prefix covering the address, and each source's latest op on it. */
export interface EvidenceMatch {
  readonly prefix: string;
  readonly sources: readonly { readonly state: string; readonly batch: { readonly publisher: string; readonly seq: number } }[];
}

/** The part of a lookup an evidence bundle is built from (the node's `lookup(ip)` answers more). */
export interface EvidenceLookup {
  readonly address: string;
  readonly listed: boolean;
  readonly notListedBecause: readonly string[];
  readonly matches: readonly EvidenceMatch[];
  /** Where the address is registered, by the node's origin data. */
  readonly origin: Origin;
}

/**
 * What building an evidence bundle reads of a node: its store, identity, pinned peers, clock
 * and lookup. A running node satisfies it as it is, so the CLI, a dashboard and tests all pass
 * theirs; the module never needs the node itself.
 */
export interface EvidenceSource {
  readonly store: Store;
  readonly config: { readonly id: string; readonly origin: string };
  readonly identity: Pick<Identity, 'kid' | 'publicJwk' | 'signingKey'>;
  readonly peers: readonly Peer[];
  /** This node's checkpoint verifier key (c2sp.org/signed-note form). */
  readonly checkpointKey: string;
  clock(): number;
  lookup(ip: string): EvidenceLookup;
  /** The origin data in use: its combined id and each data set. */
  originDataset(): { readonly id: string; readonly sets: readonly OriginDataset[] };
}
