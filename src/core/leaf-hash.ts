import { createHash } from 'node:crypto';

/** RFC 6962 §2.1 leaf hash of a batch: SHA-256(0x00 ‖ ASCII bytes of the compact JWS). */
export function leafHash(jws: string): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(jws, 'latin1').digest();
}

/** RFC 6962 §2.1: a leaf's hash input starts with this byte. */
export const LEAF_PREFIX = Buffer.of(0x00);

/** 0x00 ‖ the JWS bytes: the leaf hash input, whose tail is also the JWS signing input. */
export function leafInput(jws: string): Buffer {
  const input = Buffer.allocUnsafe(jws.length + 1);
  input[0] = 0x00;
  input.write(jws, 1, 'latin1');
  return input;
}

/** leafHash of a `leafInput`, hashed where it lies. */
export function leafHashOfInput(input: Buffer): Buffer {
  return createHash('sha256').update(input).digest();
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
