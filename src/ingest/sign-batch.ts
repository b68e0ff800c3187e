import { sign, type KeyObject } from 'node:crypto';
import { CompactSign, type CryptoKey } from 'jose';
import { BATCH_TYP, type BatchPayload } from '../core/batch.js';

/** Signs a batch payload as the compact JWS of PROTOCOL "Batch". */
export async function signBatch(payload: BatchPayload, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: BATCH_TYP })
    .sign(key.privateKey);
}

/** An Ed25519 signature (64 bytes) in base64url. */
const SIGNATURE_CHARS = 86;

/** Characters of base64url for `bytes` bytes, unpadded (RFC 7515 §2). */
function base64UrlChars(bytes: number): number {
  return Math.floor(bytes / 3) * 4 + [0, 2, 3][bytes % 3]!;
}

/**
 * signBatch for a payload given as text pieces of known total UTF-8 length
 * (core/batch-payload-bytes.ts), as 0x00 ‖ the compact JWS's bytes (core/leaf-hash.ts
 * `leafInput`): the form a batch is hashed and stored in without ever being one string. Each
 * piece is encoded straight into that one buffer and the signing input signed where it lies, so
 * a 17 MB payload costs one 23 MB buffer, not the payload's bytes, jose's copies and a string.
 * Byte for byte jose's CompactSign with the same header (Ed25519 is deterministic, RFC 8032
 * §5.1.6).
 */
export function signBatchLeaf(pieces: Iterable<string>, payloadBytes: number, key: { kid: string; signingKey: KeyObject }): Buffer {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: BATCH_TYP })).toString('base64url');
  const leaf = Buffer.allocUnsafeSlow(1 + header.length + 1 + base64UrlChars(payloadBytes) + 1 + SIGNATURE_CHARS);
  leaf[0] = 0x00;
  let at = 1 + leaf.write(header, 1, 'latin1');
  leaf[at++] = 0x2e;
  // Each piece goes through one staging buffer, its bytes encoded three at a time; the one or
  // two left over move to the staging buffer's start for the next piece. One buffer for all
  // pieces: a few thousand 64 KiB buffers made and dropped per batch left the C heap fragmented,
  // some 60 MB more resident by the end of a 500,000-entry publish.
  let staging = Buffer.allocUnsafeSlow(1 << 18);
  let carry = 0;
  let written = 0;
  for (const piece of pieces) {
    const need = carry + Buffer.byteLength(piece, 'utf8');
    if (need > staging.length) {
      const grown = Buffer.allocUnsafeSlow(need * 2);
      staging.copy(grown, 0, 0, carry);
      staging = grown;
    }
    const filled = carry + staging.write(piece, carry, 'utf8');
    const whole = filled - (filled % 3);
    at += leaf.write(staging.toString('base64url', 0, whole), at, 'latin1');
    staging.copy(staging, 0, whole, filled);
    carry = filled - whole;
    written += whole;
  }
  at += leaf.write(staging.toString('base64url', 0, carry), at, 'latin1');
  written += carry;
  if (written !== payloadBytes) throw new Error(`signBatchLeaf: payload was ${written} bytes, not ${payloadBytes}`);
  const signature = sign(null, leaf.subarray(1, at), key.signingKey).toString('base64url');
  leaf[at++] = 0x2e;
  at += leaf.write(signature, at, 'latin1');
  if (at !== leaf.length) throw new Error(`signBatchLeaf: wrote ${at} of ${leaf.length} bytes`);
  return leaf;
}
