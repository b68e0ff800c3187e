import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { SpamxError } from '../core/errors.js';
import { x25519Thumbprint, type X25519Jwk } from '../core/key-statement.js';
import type { NodePaths } from '../config/paths.js';
import { jwkThumbprint, toPublicJwk } from '../verify/pinned-keys.js';

/**
 * Creates the Ed25519 key pair, the X25519 encryption key pair (sealed batches; generated on its
 * own, never derived from the signing key) and the operator token of a new node; refuses to
 * replace any of them.
 */
export async function createIdentity(paths: NodePaths): Promise<{ kid: string; token: string }> {
  for (const file of [paths.privateKey, paths.operatorToken, encPrivateKeyPath(paths)]) {
    if (existsSync(file)) throw new SpamxError('IDENTITY_EXISTS', `${file} already exists; refusing to replace an identity`);
  }
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = toPublicJwk(await exportJWK(publicKey), 'new key');
  const kid = await jwkThumbprint(publicJwk);
  writeSecret(paths.privateKey, `${JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' })}\n`);
  writePublic(paths.publicKey, `${JSON.stringify({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' })}\n`);
  createEncKeyFiles(paths);
  const token = randomBytes(32).toString('base64url');
  writeSecret(paths.operatorToken, `${token}\n`);
  return { kid, token };
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

export const encPrivateKeyPath = (paths: NodePaths) => join(paths.dir, 'keys', 'x25519.private.jwk');
export const encPublicKeyPath = (paths: NodePaths) => join(paths.dir, 'keys', 'x25519.public.jwk');

/** A fresh X25519 key pair as the private JWK text written to disk. */
export function newEncKey(): { kid: string; jwk: X25519Jwk; text: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const exported = privateKey.export({ format: 'jwk' });
  const jwk: X25519Jwk = { kty: 'OKP', crv: 'X25519', x: exported.x! };
  const kid = x25519Thumbprint(jwk);
  return { kid, jwk, text: `${JSON.stringify({ ...jwk, d: exported.d, kid, use: 'enc', alg: 'ECDH-ES+A256KW' })}\n` };
}

/** The first encryption key (at `spamx init`, or at the start of a node that has none), written exclusively. */
export function createEncKeyFiles(paths: NodePaths): { kid: string; jwk: X25519Jwk } {
  const key = newEncKey();
  writeSecret(encPrivateKeyPath(paths), key.text);
  // The private key decides (written exclusively above); the public file only shows it, so a stale one is replaced.
  writeFileSync(encPublicKeyPath(paths), publicEncText(key.kid, key.jwk), { mode: 0o644 });
  return { kid: key.kid, jwk: key.jwk };
}

/** The public encryption key file's text. */
export function publicEncText(kid: string, jwk: X25519Jwk): string {
  return `${JSON.stringify({ ...jwk, kid, use: 'enc', alg: 'ECDH-ES+A256KW' })}\n`;
}
