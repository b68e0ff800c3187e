import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { SpamxError } from '../core/errors.js';
import { jwkThumbprint, toPublicJwk, type PublicJwk } from '../verify/pinned-keys.js';
import type { NodePaths } from './paths.js';

/** This node's signing identity. The private key never leaves this object: not logged, not served. */
export interface Identity {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  readonly privateKey: CryptoKey;
  /** The same private key for node:crypto, which signs checkpoints and cosignatures. */
  readonly signingKey: KeyObject;
}

export async function loadIdentity(paths: NodePaths): Promise<Identity> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(paths.privateKey, 'utf8')) as JWK;
  } catch (err) {
    throw new SpamxError('CONFIG_INVALID', `cannot read the signing key ${paths.privateKey}: ${(err as Error).message}`);
  }
  const publicJwk = toPublicJwk({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, paths.privateKey);
  const privateKey = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  const signingKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, d: jwk.d! }, format: 'jwk' });
  return { kid: await jwkThumbprint(publicJwk), publicJwk, privateKey, signingKey };
}

export function loadOperatorToken(paths: NodePaths): string {
  try {
    return readFileSync(paths.operatorToken, 'utf8').trim();
  } catch (err) {
    throw new SpamxError('CONFIG_INVALID', `cannot read the operator token ${paths.operatorToken}: ${(err as Error).message}`);
  }
}
