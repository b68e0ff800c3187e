import { createHash } from 'node:crypto';

/** An Ed25519 public key as a JWK (RFC 8037 §2), its members checked. */
export interface Ed25519Jwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

export const ED25519_X_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * RFC 7638 thumbprint of an Ed25519 JWK, computed synchronously so it can run inside a store
 * transaction: SHA-256 over the required members `crv`, `kty`, `x` in lexicographic order with
 * no whitespace (§3.2, members per RFC 8037 §2), base64url without padding. `x` is checked to be
 * base64url first, so it needs no JSON escaping.
 */
export function ed25519Thumbprint(jwk: Ed25519Jwk): string {
  if (!ED25519_X_RE.test(jwk.x)) throw new RangeError('"x" is not a base64url 32-byte Ed25519 public key');
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url');
}
