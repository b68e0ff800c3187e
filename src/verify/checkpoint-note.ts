import { parseCheckpoint, type Checkpoint } from '../core/checkpoint.js';
import { SpamxError } from '../core/errors.js';
import { formatVerifierKey, parseNote, parseVerifierKey, SIG_ED25519, verifyNote, type Note, type VerifierKey } from '../core/signed-note.js';
import type { PinnedKeySet } from './pinned-keys.js';

export interface VerifiedCheckpoint {
  readonly note: Note;
  readonly checkpoint: Checkpoint;
  /** The publisher key that signed it. */
  readonly signer: VerifierKey;
}

/**
 * A publisher's signed checkpoint (c2sp.org/tlog-checkpoint) from untrusted text, in the order
 * of cheap structure first: the note's lines, a signature by one of `keys` (c2sp.org/signed-note),
 * the three checkpoint lines, and the origin line naming the key that signed it. Each failure is
 * one line saying which.
 */
export function verifyCheckpointNote(text: string, keys: readonly VerifierKey[], what = 'checkpoint'): VerifiedCheckpoint {
  const fail = (err: unknown): never => {
    throw new SpamxError('BAD_REQUEST', `${what}: ${(err as Error).message}`);
  };
  let note: Note;
  let signer: VerifierKey;
  let checkpoint: Checkpoint;
  try {
    note = parseNote(text);
    signer = verifyNote(note, keys)[0]!;
    checkpoint = parseCheckpoint(note.text);
  } catch (err) {
    return fail(err);
  }
  // c2sp.org/tlog-checkpoint: the origin identifies the log, and its key name must be the origin.
  if (checkpoint.origin !== signer.name) fail(new Error(`origin "${checkpoint.origin}" is not the signer's name ${signer.name}`));
  return { note, checkpoint, signer };
}

/**
 * The verifier keys a publisher's checkpoints may be signed with: the one given, which must be
 * an Ed25519 (type 0x01) key, or else `spamx/<publisher>` over each of its keys, as a node signs
 * its own checkpoints by default (PROTOCOL "Transparency").
 */
export function publisherCheckpointKeys(publisher: string, keys: PinnedKeySet, given?: string): VerifierKey[] {
  if (given !== undefined) {
    const key = parseVerifierKey(given);
    if (key.type !== SIG_ED25519) throw new SpamxError('BAD_REQUEST', `checkpoint key ${key.name} is not an Ed25519 (type 0x01) key`);
    return [key];
  }
  return [...keys.values()].map((k) => parseVerifierKey(formatVerifierKey(`spamx/${publisher}`, Buffer.from(k.jwk.x, 'base64url'))));
}

/** Whether a checkpoint verifier key is one of the publisher's JWS keys (the same Ed25519 key). */
export function isPublisherKey(key: VerifierKey, keys: PinnedKeySet): boolean {
  const x = key.publicKey.toString('base64url');
  return [...keys.values()].some((k) => k.jwk.x === x);
}
