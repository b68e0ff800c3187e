import { createPrivateKey, type KeyObject } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { SpamxError } from '../core/errors.js';
import { ed25519Thumbprint, type Ed25519Jwk } from '../core/jwk-thumbprint.js';
import { x25519Thumbprint, type X25519Jwk } from '../core/key-statement.js';
import type { NodePaths } from '../config/paths.js';
import { encPrivateKeyPath, encPublicKeyPath, newEncKey, publicEncText, writeSecret } from './create-identity.js';


export interface NewKey {
  readonly kid: string;
  readonly publicJwk: Ed25519Jwk;
  readonly signingKey: KeyObject;
  /** Its pending key file, which the rotation removes if its statement is not stored. */
  readonly file: string;
}

/** A pending key older than this was left by a rotation that died before its statement. */
const STALE_PENDING_MS = 10 * 60_000;

export const pendingKeyPath = (paths: NodePaths, kid: string) => join(paths.pendingKeys, `${kid}.private.jwk`);
export const retiredKeyPath = (paths: NodePaths, kid: string) => join(paths.retiredKeys, `${kid}.private.jwk`);

/**
 * The key `spamx key rotate` switches to, written as `keys/pending/<kid>.private.jwk` (0600)
 * before its statement is stored, so a crash between the two leaves a key the store can name.
 * Each pending key has its own file and only the rotation that wrote it removes it: a node
 * settling its keys (below) never deletes one, since another process may be mid-rotation.
 */
export async function createPendingKey(paths: NodePaths, known: ReadonlySet<string>, now: number): Promise<NewKey> {
  removeStalePendingKeys(paths, known, now);
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x! } as const;
  const kid = ed25519Thumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  const file = pendingKeyPath(paths, kid);
  writeSecret(file, `${JSON.stringify({ ...privateJwk, kid, alg: 'EdDSA' })}\n`);
  return { kid, publicJwk, signingKey: createPrivateKey({ key: { ...publicJwk, d: privateJwk.d! }, format: 'jwk' }), file };
}

/** Keeps a copy of the signing key as `keys/retired/<kid>.private.jwk` (0600); never served. */
export function archiveSigningKey(paths: NodePaths): string {
  const file = retiredKeyPath(paths, keyFileKid(paths.privateKey));
  mkdirSync(paths.retiredKeys, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) copyFileSync(paths.privateKey, file);
  chmodSync(file, 0o600);
  return file;
}

/**
 * Makes `keys/ed25519.private.jwk` the key the store's key statements say signs now: the last
 * step of a rotation, run by `spamx key rotate` and again by every node start and publish, so a
 * rotation interrupted after its statement was stored still completes. Two processes may race
 * here; the rename is atomic and the loser finds the work done.
 */
export function settleSigningKey(paths: NodePaths, currentKid: string | undefined): void {
  const active = keyFileKid(paths.privateKey);
  if (currentKid === undefined || currentKid === active) return;
  const pending = pendingKeyPath(paths, currentKid);
  if (!existsSync(pending) || keyFileKid(pending) !== currentKid) {
    if (keyFileKid(paths.privateKey) === currentKid) return; // another process just settled it
    throw new SpamxError(
      'CONFIG_INVALID',
      `the key statements in the store say ${currentKid} signs this node's batches, but ${paths.privateKey} holds ${active}; restore that key file`,
    );
  }
  archiveSigningKey(paths);
  const jwk = JSON.parse(readFileSync(pending, 'utf8')) as Ed25519Jwk;
  const tmp = `${paths.publicKey}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: currentKid, alg: 'EdDSA', use: 'sig' })}\n`, { mode: 0o644 });
  renameSync(tmp, paths.publicKey);
  try {
    renameSync(pending, paths.privateKey);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || keyFileKid(paths.privateKey) !== currentKid) throw err;
  }
}

/** Pending keys no statement names, left long enough ago that no rotation can still be using them. */
function removeStalePendingKeys(paths: NodePaths, known: ReadonlySet<string>, now: number): void {
  let names: string[];
  try {
    names = readdirSync(paths.pendingKeys);
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(paths.pendingKeys, name);
    const kid = name.replace(/\.private\.jwk$/, '');
    if (!known.has(kid) && now - statSync(file).mtimeMs > STALE_PENDING_MS) rmSync(file, { force: true });
  }
}

/** The RFC 7638 thumbprint of the key in a JWK file, recomputed (a stored kid is not trusted). */
export function keyFileKid(file: string): string {
  try {
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as Ed25519Jwk;
    return ed25519Thumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
  } catch (err) {
    throw new SpamxError('CONFIG_INVALID', `cannot read the key file ${file}: ${(err as Error).message}`);
  }
}

/*
 * The node's X25519 encryption key for sealed batches (PROTOCOL "Additions: partners only"):
 * `keys/x25519.private.jwk` (0600) and `keys/x25519.public.jwk`, generated on its own (never
 * derived from the signing key). A rotation writes the next one to `keys/pending-enc/<kid>` and
 * switches the files once its statement is stored, as for the signing key; each replaced private
 * key is kept in `keys/retired/<kid>.private.jwk`, so batches sealed to it still open.
 */

export interface OwnEncKey {
  readonly kid: string;
  readonly jwk: X25519Jwk;
  /** Never logged, never served; posted to the feed-reader thread as a KeyObject. */
  readonly privateKey: KeyObject;
}

const pendingEncDir = (paths: NodePaths) => join(paths.dir, 'keys', 'pending-enc');
export const pendingEncKeyPath = (paths: NodePaths, kid: string) => join(pendingEncDir(paths), `${kid}.private.jwk`);

/** The next encryption key of a rotation, waiting in keys/pending-enc/ until its statement is stored. */
export function createPendingEncKey(paths: NodePaths): { kid: string; jwk: X25519Jwk; file: string } {
  const key = newEncKey();
  const file = pendingEncKeyPath(paths, key.kid);
  writeSecret(file, key.text);
  return { kid: key.kid, jwk: key.jwk, file };
}

/**
 * Makes keys/x25519.private.jwk the encryption key the store's statements name (`statementKid`),
 * keeping the one it replaces in keys/retired/. A no-op when they agree, or when no statement
 * names one yet. Like settleSigningKey, safe to run from two processes at once.
 */
export function settleEncKey(paths: NodePaths, statementKid: string | undefined): void {
  if (statementKid === undefined) return;
  const current = encFileKid(encPrivateKeyPath(paths));
  if (current === statementKid) return;
  const pending = pendingEncKeyPath(paths, statementKid);
  if (!existsSync(pending) || encFileKid(pending) !== statementKid) {
    if (encFileKid(encPrivateKeyPath(paths)) === statementKid) return; // another process just settled it
    throw new SpamxError(
      'CONFIG_INVALID',
      `the key statements in the store say ${statementKid} is this node's encryption key, but ${encPrivateKeyPath(paths)} holds ${current ?? 'none'}; restore that key file`,
    );
  }
  if (current !== undefined) {
    mkdirSync(paths.retiredKeys, { recursive: true, mode: 0o700 });
    const retired = retiredKeyPath(paths, current);
    if (!existsSync(retired)) copyFileSync(encPrivateKeyPath(paths), retired);
    chmodSync(retired, 0o600);
  }
  const jwk = JSON.parse(readFileSync(pending, 'utf8')) as X25519Jwk;
  const tmp = `${encPublicKeyPath(paths)}.${process.pid}.tmp`;
  writeFileSync(tmp, publicEncText(statementKid, jwk), { mode: 0o644 });
  renameSync(tmp, encPublicKeyPath(paths));
  try {
    renameSync(pending, encPrivateKeyPath(paths));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || encFileKid(encPrivateKeyPath(paths)) !== statementKid) throw err;
  }
}

/**
 * Every encryption private key this node holds: the current one first, then the retired ones
 * (a batch sealed to a key before its rotation still opens). Empty when the node has none.
 */
export function loadOwnEncKeys(paths: NodePaths): OwnEncKey[] {
  const keys: OwnEncKey[] = [];
  const current = readEncKeyFile(encPrivateKeyPath(paths));
  if (current) keys.push(current);
  let names: string[] = [];
  try {
    names = readdirSync(paths.retiredKeys);
  } catch {
    // no retired keys
  }
  for (const name of names.sort()) {
    const key = readEncKeyFile(join(paths.retiredKeys, name));
    if (key && !keys.some((k) => k.kid === key.kid)) keys.push(key);
  }
  return keys;
}

/** An X25519 private JWK file, or undefined when absent or another kind of key (retired signing keys share the folder). */
function readEncKeyFile(file: string): OwnEncKey | undefined {
  let jwk: Record<string, string>;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SpamxError('CONFIG_INVALID', `cannot read the key file ${file}: ${(err as Error).message}`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519' || typeof jwk.d !== 'string') return undefined;
  const pub: X25519Jwk = { kty: 'OKP', crv: 'X25519', x: jwk.x! };
  return { kid: x25519Thumbprint(pub), jwk: pub, privateKey: createPrivateKey({ key: { ...pub, d: jwk.d }, format: 'jwk' }) };
}

function encFileKid(file: string): string | undefined {
  return readEncKeyFile(file)?.kid;
}
