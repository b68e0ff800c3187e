import type { Witness } from '../core/cosignature.js';
import { mergeNotes, formatNote } from '../core/merge-notes.js';
import { parseCheckpoint } from '../core/checkpoint.js';
import { rawPublicKey } from '../core/ed25519.js';
import { formatVerifierKey, parseNote, type Note } from '../core/signed-note.js';
import type { EvidenceSource } from './evidence-source.js';
import { heldCheckpointNotes } from '../store/held-checkpoints.js';
import { keyHistoryOf } from '../store/key-statement-store.js';
import { treeRoot, treeSize } from '../store/tree-store.js';
import { checkpointVerifier, witnessOf } from '../verify/checkpoint-keys.js';
import { witnessVerifierKey } from '../verify/cosigners.js';
import type { EvidenceFeed } from '../verify/evidence-bundle.js';
import { keySetOf, toPinnedKey } from '../verify/key-set.js';

/** A feed's part of an evidence bundle, and the size of the checkpoint it holds. */
export type HeldFeed = { readonly feed: EvidenceFeed; readonly size: number };

/**
 * What a verifier needs of `publisher`'s log, as this node holds it: the publisher's keys (its
 * own or as pinned, with every key their verified key statements name) and checkpoint key; the
 * newest checkpoint whose root this node's copy of the tree has, with every signature line held
 * for it (the publisher's, this node's cosignature and those collected from partners, merged into
 * one note); and the witnesses' keys: this node and its partners other than the publisher. A
 * string says why there is none.
 */
export function feedEvidence(node: EvidenceSource, publisher: string): HeldFeed | string {
  const self: Witness = { name: node.config.origin, publicKey: rawPublicKey(node.identity.signingKey) };
  const peer = node.peers.find((p) => p.id === publisher);
  if (publisher !== node.config.id && !peer) return `${publisher} is not pinned here, so its keys are unknown`;
  // Every key the verified key statements name, retired ones too: an old listing's batch was
  // signed by the key in force then (README "Key rotation").
  const pinned = peer ? peer.pinned : new Map([[node.identity.kid, toPinnedKey(node.identity.kid, node.identity.publicJwk)]]);
  const keys = [...keySetOf(keyHistoryOf(node.store, publisher), pinned).values()].map((k) => ({ ...k.jwk, kid: k.kid }));
  const peerKey = peer && checkpointVerifier(peer);
  const checkpointKey = peerKey ? formatVerifierKey(peerKey.name, peerKey.publicKey) : node.checkpointKey;
  const witnesses = [...(peer ? [self] : []), ...node.peers.filter((p) => p.id !== publisher).map(witnessOf)];
  const held = heldCheckpointNotes(node.store, publisher, treeSize(node.store, publisher));
  if (!held) return `no checkpoint of ${publisher} is held here yet`;
  // Only notes of the checkpoint this node's own tree agrees with: another would be equivocation,
  // which the witness step records and freezes the feed on.
  const root = treeRoot(node.store, publisher, held.size);
  const notes = held.notes.map(parseNote).filter((n: Note) => parseCheckpoint(n.text).root.equals(root));
  if (notes.length === 0) return `no held checkpoint of ${publisher} at size ${held.size} has the root of this node's tree`;
  const note = mergeNotes(notes.filter((n) => n.text === notes[0]!.text));
  return {
    size: held.size,
    feed: {
      keys: { keys },
      checkpointKey,
      checkpoint: formatNote(note),
      witnesses: witnesses.map((w) => ({ name: w.name, key: witnessVerifierKey(w) })),
    },
  };
}
