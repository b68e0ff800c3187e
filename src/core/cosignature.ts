import type { KeyObject } from 'node:crypto';
import { ed25519Sign, ed25519Verify, publicKeyFromRaw, rawPublicKey } from './ed25519.js';
import { SpamxError } from './errors.js';
import { noteKeyId, signatureLine, SIG_COSIGNATURE_V1, type Note } from './signed-note.js';

/**
 * c2sp.org/tlog-cosignature v1 with Ed25519: a witness's statement that, as of `timestamp`, the
 * checkpoint is the largest consistent tree it has seen for that log. The signed message is
 * `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body; the signature is
 * key ID ‖ u64 big-endian timestamp ‖ Ed25519 signature.
 */
export interface Witness {
  readonly name: string;
  readonly publicKey: Buffer;
}

function cosignedMessage(timestamp: number, checkpointText: string): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

/** One cosignature line for a checkpoint body. */
export function cosign(checkpointText: string, name: string, key: KeyObject, timestamp: number): string {
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(timestamp));
  const signature = ed25519Sign(key, cosignedMessage(timestamp, checkpointText));
  return signatureLine(name, noteKeyId(name, SIG_COSIGNATURE_V1, rawPublicKey(key)), Buffer.concat([time, signature]));
}

/**
 * The timestamp of `witness`'s valid cosignature on the note, or undefined when it has none. A
 * line with the witness's name and key ID whose signature fails is an error, not an absence.
 */
export function cosignatureTime(note: Note, witness: Witness): number | undefined {
  const keyId = noteKeyId(witness.name, SIG_COSIGNATURE_V1, witness.publicKey);
  for (const sig of note.signatures) {
    if (sig.name !== witness.name || !sig.keyId.equals(keyId)) continue;
    if (sig.body.length !== 72) throw new SpamxError('BAD_REQUEST', `cosignature by ${witness.name} has the wrong length`);
    const timestamp = sig.body.readBigUInt64BE(0);
    if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new SpamxError('BAD_REQUEST', `cosignature by ${witness.name} has an impossible time`);
    if (!ed25519Verify(publicKeyFromRaw(witness.publicKey), cosignedMessage(Number(timestamp), note.text), sig.body.subarray(8))) {
      throw new SpamxError('BAD_REQUEST', `cosignature by ${witness.name} does not verify`);
    }
    return Number(timestamp);
  }
  return undefined;
}
