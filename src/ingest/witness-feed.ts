import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Checkpoint } from '../core/checkpoint.js';
import { cosign, cosignatureTime } from '../core/cosignature.js';
import { describeError } from '../core/errors.js';
import { verifyConsistency } from '../core/merkle.js';
import type { WitnessOutcome } from '../core/pull-report.js';
import type { Note, VerifierKey } from '../core/signed-note.js';
import { verifyCheckpointNote } from '../verify/checkpoint-note.js';
import { latestCheckpoint, saveCheckpoint } from '../store/checkpoint-store.js';
import type { Peer } from '../config/peers.js';
import type { Store } from '../store/open-store.js';
import { treeRoot, treeSize } from '../store/tree-store.js';
import { freezeFeed, recordEvidence, saveCosignature, trustCheckpoint, witnessState } from '../store/witness-store.js';
import { checkpointVerifier, witnessOf } from '../verify/checkpoint-keys.js';
import type { PeerHttpClient } from './http-client.js';

export interface WitnessDeps {
  readonly store: Store;
  readonly http: PeerHttpClient;
  readonly clock: () => number;
  readonly log: Logger;
  /** This node as a witness: its cosignature name (its checkpoint origin) and key. */
  readonly self: { readonly name: string; readonly key: KeyObject };
}

const ProofSchema = z.object({ proof: z.array(z.string()) });

/**
 * PROTOCOL "Transparency", the witness's part, run after each pull of a partner's feed:
 * 1. fetch the partner's newest checkpoint and check its signature;
 * 2. check it against this node's own copy of the partner's log (same root at that size), or,
 *    when it is ahead, by a consistency proof from what this node holds;
 * 3. refuse to go backwards (rollback), then trust and cosign it (C2SP tlog-cosignature);
 * 4. fetch the other partners' cosigned views of the same log and check each against this one.
 * Two signed checkpoints of one log that cannot both be true are proof of equivocation: the
 * feed is frozen at the last trusted state and both notes are kept as evidence.
 */
export async function witnessFeed(deps: WitnessDeps, peer: Peer, source: string, partners: readonly Peer[]): Promise<WitnessOutcome> {
  const state = witnessState(deps.store, peer.id);
  if (state?.frozenAt) return { status: 'frozen', detail: state.frozenReason ?? 'frozen' };
  const key = checkpointVerifier(peer);
  let text: string;
  try {
    text = await deps.http.getText(`${source}/v1/feeds/${encodeURIComponent(peer.id)}/checkpoint`, 'text/plain');
  } catch (err) {
    return { status: 'unavailable', detail: describeError(err) };
  }
  let note: Note;
  let checkpoint: Checkpoint;
  try {
    ({ note, checkpoint } = verifyCheckpointNote(text, [key], `checkpoint of ${peer.id}`));
  } catch (err) {
    deps.log.warn({ peer: peer.id, err: describeError(err) }, 'checkpoint rejected');
    return { status: 'invalid', detail: describeError(err) };
  }
  const contradiction = await contradicts(deps, peer.id, source, checkpoint);
  if (contradiction) return equivocation(deps, peer.id, 'checkpoint-contradicts-log', contradiction, text, state?.trustedNote ?? null);
  if (state && checkpoint.size < state.trustedSize) {
    deps.log.warn({ peer: peer.id, size: checkpoint.size, trusted: state.trustedSize }, 'checkpoint older than the trusted one (rollback)');
    return { status: 'rollback', detail: `served size ${checkpoint.size} after trusting size ${state.trustedSize}` };
  }
  const root = checkpoint.root.toString('base64');
  const timestamp = Math.floor(deps.clock() / 1000);
  const cosigned = text + cosign(note.text, deps.self.name, deps.self.key, timestamp);
  trustCheckpoint(deps.store, peer.id, checkpoint.size, root, text);
  // Served as this feed's checkpoint here, so an auditor can check a mirror's copy too.
  if ((latestCheckpoint(deps.store, peer.id)?.size ?? -1) < checkpoint.size) {
    saveCheckpoint(deps.store, { publisher: peer.id, size: checkpoint.size, root, note: text, receivedAt: deps.clock() });
  }
  saveCosignature(deps.store, { publisher: peer.id, witness: deps.self.name, size: checkpoint.size, root, timestamp, note: cosigned });

  for (const partner of partners) {
    if (partner.id === peer.id) continue;
    const view = await partnerView(deps, partner, peer.id, key);
    if (!view) continue;
    const conflict = await contradicts(deps, peer.id, source, view.checkpoint);
    if (conflict) return equivocation(deps, peer.id, 'split-view', `${witnessOf(partner).name} cosigned a different log: ${conflict}`, cosigned, view.text);
    saveCosignature(deps.store, {
      publisher: peer.id,
      witness: witnessOf(partner).name,
      size: view.checkpoint.size,
      root: view.checkpoint.root.toString('base64'),
      timestamp: view.timestamp,
      note: view.text,
    });
  }
  return { status: 'cosigned', size: checkpoint.size };
}

/** Why `checkpoint` cannot be a view of the log this node holds, or undefined when it can. */
async function contradicts(deps: WitnessDeps, publisher: string, source: string, checkpoint: Checkpoint): Promise<string | undefined> {
  const held = treeSize(deps.store, publisher);
  if (checkpoint.size <= held) {
    const ours = treeRoot(deps.store, publisher, checkpoint.size);
    return ours.equals(checkpoint.root) ? undefined : `size ${checkpoint.size} has root ${checkpoint.root.toString('base64')}, the batches held give ${ours.toString('base64')}`;
  }
  if (held === 0) return undefined; // nothing held yet to compare with
  let proof: Buffer[];
  try {
    const body = ProofSchema.parse(
      await deps.http.getJson(`${source}/v1/feeds/${encodeURIComponent(publisher)}/proof/consistency?from=${held}&to=${checkpoint.size}`),
    );
    proof = body.proof.map((p) => Buffer.from(p, 'base64'));
  } catch (err) {
    // The publisher (or its mirror) cannot prove the larger checkpoint extends what it served.
    return `no consistency proof from ${held} to ${checkpoint.size}: ${describeError(err)}`;
  }
  return verifyConsistency(held, checkpoint.size, proof, treeRoot(deps.store, publisher, held), checkpoint.root)
    ? undefined
    : `size ${checkpoint.size} does not extend the ${held} batches held`;
}

/** A partner's cosigned view of `publisher`'s log, when it serves a valid one. */
async function partnerView(deps: WitnessDeps, partner: Peer, publisher: string, publisherKey: VerifierKey) {
  try {
    const text = await deps.http.getText(`${partner.url}/v1/witness/${encodeURIComponent(publisher)}`, 'text/plain');
    const { note, checkpoint } = verifyCheckpointNote(text, [publisherKey]);
    const timestamp = cosignatureTime(note, witnessOf(partner));
    if (timestamp === undefined) return undefined;
    return { text, note, checkpoint, timestamp };
  } catch (err) {
    deps.log.debug({ partner: partner.id, publisher, err: describeError(err) }, 'no usable cosigned view from partner');
    return undefined;
  }
}

/**
 * Collects a partner's cosignature of this node's own log, so evidence bundles of this node's
 * listings carry its witnesses' cosignatures too. Only a view consistent with the log this node
 * holds is kept; an inconsistent one would mean someone forged this node's signature.
 */
export async function collectOwnCosignature(deps: WitnessDeps & { readonly own: { readonly id: string; readonly key: VerifierKey } }, partner: Peer): Promise<void> {
  const view = await partnerView(deps, partner, deps.own.id, deps.own.key);
  if (!view || view.checkpoint.size > treeSize(deps.store, deps.own.id)) return;
  if (!treeRoot(deps.store, deps.own.id, view.checkpoint.size).equals(view.checkpoint.root)) {
    deps.log.error({ partner: partner.id }, 'a partner cosigned a checkpoint of this node that this node never signed');
    return;
  }
  saveCosignature(deps.store, {
    publisher: deps.own.id,
    witness: witnessOf(partner).name,
    size: view.checkpoint.size,
    root: view.checkpoint.root.toString('base64'),
    timestamp: view.timestamp,
    note: view.text,
  });
}

function equivocation(deps: WitnessDeps, publisher: string, kind: string, detail: string, noteA: string, noteB: string | null): WitnessOutcome {
  const now = deps.clock();
  recordEvidence(deps.store, { publisher, kind, detail, noteA, noteB, at: now });
  freezeFeed(deps.store, publisher, `${kind}: ${detail}`, now);
  deps.log.error({ peer: publisher, kind, detail }, 'EQUIVOCATION: feed frozen at its last trusted state; evidence kept');
  return { status: 'equivocation', detail: `${kind}: ${detail}` };
}
