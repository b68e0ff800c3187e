import { SpamxError } from '../core/errors.js';
import { formatVerifierKey, parseVerifierKey, SIG_ED25519, type VerifierKey } from '../core/signed-note.js';
import type { Witness } from '../core/cosignature.js';
import type { PinnedKeySet } from './pinned-keys.js';

/**
 * The C2SP verifier key a peer signs its checkpoints with: the one its descriptor announced,
 * which must be one of the peer's pinned Ed25519 keys, or else `spamx/<id>` with its first key.
 */
export function checkpointVerifier(peer: { id: string; checkpointKey?: string | undefined; pinned: PinnedKeySet }): VerifierKey {
  if (peer.checkpointKey) {
    const key = parseVerifierKey(peer.checkpointKey);
    const x = key.publicKey.toString('base64url');
    if (key.type !== SIG_ED25519 || ![...peer.pinned.values()].some((k) => k.jwk.x === x)) {
      throw new SpamxError('PEER_INVALID', `checkpoint key of ${peer.id} is not one of its pinned Ed25519 keys`);
    }
    return key;
  }
  const first = [...peer.pinned.values()][0]!;
  return parseVerifierKey(formatVerifierKey(`spamx/${peer.id}`, Buffer.from(first.jwk.x, 'base64url')));
}

/** A peer as a witness: its cosignatures carry its checkpoint key's name and the same key. */
export function witnessOf(peer: { id: string; checkpointKey?: string | undefined; pinned: PinnedKeySet }): Witness {
  const key = checkpointVerifier(peer);
  return { name: key.name, publicKey: key.publicKey };
}
