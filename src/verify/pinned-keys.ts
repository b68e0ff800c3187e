import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { SpamxError } from '../core/errors.js';
import type { KeyValidity } from '../core/key-history.js';

/** A publisher's public key as pinned by this node. */
export interface PinnedKey {
  /** RFC 7638 thumbprint, recomputed here: a `kid` is never trusted as given (PROTOCOL "Identifiers"). */
  readonly kid: string;
  readonly jwk: PublicJwk;
  readonly keyObject: KeyObject;
  /** The batches it may sign, once the publisher's key statements name it (README "Key rotation"). */
  readonly validity?: KeyValidity;
}

export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

export type PinnedKeySet = ReadonlyMap<string, PinnedKey>;

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Checks one JWK is an Ed25519 public key and nothing else, and returns its canonical members. */
export function toPublicJwk(value: unknown, where: string): PublicJwk {
  const jwk = value as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null) throw new SpamxError('PEER_INVALID', `${where}: key is not a JSON object`);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw new SpamxError('PEER_INVALID', `${where}: only OKP/Ed25519 keys are accepted, got ${String(jwk.kty)}/${String(jwk.crv)}`);
  }
  if (jwk.d !== undefined) throw new SpamxError('PEER_INVALID', `${where}: a private key was offered as a public key`);
  if (typeof jwk.x !== 'string' || !B64URL_32.test(jwk.x)) {
    throw new SpamxError('PEER_INVALID', `${where}: "x" is not a base64url 32-byte Ed25519 public key`);
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

export async function jwkThumbprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint(jwk as JWK, 'sha256');
}

/** Pins a JWKS (`{"keys":[…]}`): each key checked, its kid recomputed and compared if given. */
export async function pinKeys(jwks: unknown, where: string): Promise<Map<string, PinnedKey>> {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new SpamxError('PEER_INVALID', `${where}: no keys to pin`);
  const pinned = new Map<string, PinnedKey>();
  for (const [i, raw] of keys.entries()) {
    const jwk = toPublicJwk(raw, `${where} key ${i}`);
    const kid = await jwkThumbprint(jwk);
    const given = (raw as { kid?: unknown }).kid;
    if (given !== undefined && given !== kid) {
      throw new SpamxError('PEER_INVALID', `${where} key ${i}: kid ${String(given)} is not its thumbprint ${kid}`);
    }
    pinned.set(kid, { kid, jwk, keyObject: createPublicKey({ key: { ...jwk }, format: 'jwk' }) });
  }
  return pinned;
}
