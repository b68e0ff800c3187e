import { SpamxError } from '../core/errors.js';

/** A proof in a tree of at most 2^63 leaves has at most 63 hashes (RFC 9162 §2.1.3–2.1.4); 64 with a consistency proof's seed. */
const MAX_PROOF_HASHES = 64;

/**
 * Proof hashes from untrusted JSON: standard base64 of exactly 32 bytes each, canonical (no
 * padding games, no stray characters: Node's decoder would skip them and yield other bytes),
 * and few enough that no valid tree could need more.
 */
export function parseProofHashes(values: readonly unknown[], what: string): Buffer[] {
  if (values.length > MAX_PROOF_HASHES) throw new SpamxError('BAD_REQUEST', `${what} has ${values.length} hashes; no tree needs more than ${MAX_PROOF_HASHES}`);
  return values.map((v, i) => parseHash(v, `${what} hash ${i}`));
}

/** One SHA-256 hash as canonical standard base64. */
export function parseHash(value: unknown, what: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
  if (!bytes || bytes.length !== 32 || bytes.toString('base64') !== value) {
    throw new SpamxError('BAD_REQUEST', `${what} is not canonical base64 of 32 bytes`);
  }
  return bytes;
}
