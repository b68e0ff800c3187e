import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
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

/** Creates the Ed25519 key pair and operator token of a new node; refuses to replace either. */
export async function createIdentity(paths: NodePaths): Promise<{ kid: string; token: string }> {
  for (const file of [paths.privateKey, paths.operatorToken]) {
    if (existsSync(file)) throw new SpamxError('IDENTITY_EXISTS', `${file} already exists; refusing to replace an identity`);
  }
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = toPublicJwk(await exportJWK(publicKey), 'new key');
  const kid = await jwkThumbprint(publicJwk);
  writeSecret(paths.privateKey, `${JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' })}\n`);
  writePublic(paths.publicKey, `${JSON.stringify({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' })}\n`);
  const token = randomBytes(32).toString('base64url');
  writeSecret(paths.operatorToken, `${token}\n`);
  return { kid, token };
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

/** Files only the node's user may read (mode 0600), created exclusively so nothing is overwritten. */
export function writeSecret(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

function writePublic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o644, flag: 'wx' });
}
