import { cosignatureTime, type Witness } from '../core/cosignature.js';
import { SpamxError } from '../core/errors.js';
import { formatVerifierKey, noteKeyId, parseVerifierKey, SIG_COSIGNATURE_V1, type Note } from '../core/signed-note.js';

/**
 * A witness from its verifier key text. c2sp.org/tlog-cosignature names cosigners by a type 0x04
 * key; spamx nodes cosign with their checkpoint key's name and Ed25519 key, so their descriptor's
 * type 0x01 `checkpointKey` names the same witness and is accepted too.
 */
export function parseWitnessKey(text: string): Witness {
  try {
    const key = parseVerifierKey(text);
    return { name: key.name, publicKey: key.publicKey };
  } catch (err) {
    throw new SpamxError('BAD_REQUEST', `witness key "${text.slice(0, 80)}": ${(err as Error).message}`);
  }
}

/** The cosignature/v1 verifier key text of a witness: `name+hex(key ID)+base64(0x04 ‖ key)`. */
export function witnessVerifierKey(w: Witness): string {
  return formatVerifierKey(w.name, w.publicKey, SIG_COSIGNATURE_V1);
}

export interface Cosigner {
  readonly name: string;
  /** Cosignature time, seconds since the epoch. */
  readonly timestamp: number;
}

/**
 * The witnesses among `witnesses` with a valid cosignature on the note, each once with its newest
 * time. As with c2sp.org/signed-note, lines by unknown keys are ignored, but every line carrying
 * a known witness's name and key ID must verify: one that fails means the note was altered, not
 * merely left uncosigned by that witness, even beside a good line by the same key.
 */
export function verifiedCosigners(note: Note, witnesses: readonly Witness[]): Cosigner[] {
  const found = new Map<string, Cosigner>();
  for (const w of witnesses) {
    const keyId = noteKeyId(w.name, SIG_COSIGNATURE_V1, w.publicKey);
    for (const sig of note.signatures.filter((s) => s.name === w.name && s.keyId.equals(keyId))) {
      const timestamp = cosignatureTime({ text: note.text, signatures: [sig] }, w)!;
      if (timestamp > (found.get(w.name)?.timestamp ?? -1)) found.set(w.name, { name: w.name, timestamp });
    }
  }
  return [...found.values()];
}
