import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { SpamxError } from '../core/errors.js';
import type { NodePaths } from '../config/paths.js';
import { jwkThumbprint, toPublicJwk } from '../verify/pinned-keys.js';

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

/** Files only the node's user may read (mode 0600), created exclusively so nothing is overwritten. */
export function writeSecret(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

function writePublic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o644, flag: 'wx' });
}
