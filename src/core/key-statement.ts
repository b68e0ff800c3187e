import { createHash } from 'node:crypto';
import { CENTRE_ID_RE, PROTOCOL_VERSION } from './batch.js';
import { SpamxError } from './errors.js';
import { ED25519_X_RE, ed25519Thumbprint, type Ed25519Jwk } from './jwk-thumbprint.js';
import { parseStrictJson } from './strict-json.js';
import { parseTimestamp } from './time.js';

/** `typ` of a key statement's protected headers (README "Key rotation"). */
export const KEYS_TYP = 'spamx-keys+jws';
/** One statement, serialized; a key set is a few hundred bytes, so this is generous. */
export const MAX_STATEMENT_BYTES = 64 * 1024;
export const MAX_STATEMENTS = 1000;
const MAX_KEYS = 8;
const MAX_REVOKED = 64;
const HASH_RE = /^[A-Za-z0-9_-]{43}$/;

export interface StatementKey {
  /** RFC 7638 thumbprint, recomputed from the JWK. */
  readonly kid: string;
  readonly jwk: Ed25519Jwk;
}

/**
 * The publisher's X25519 encryption key (`use: enc`, RFC 8037 §2) for sealed batches sent to it
 * (PROTOCOL "Additions: partners only"): generated apart from, never derived from, its signing
 * keys. A statement's `enc` is the key in force from that statement on; partners learn it only
 * from statements they verified, never from an unsigned descriptor.
 */
export interface EncKey {
  /** RFC 7638 thumbprint over `crv`, `kty`, `x`, recomputed. */
  readonly kid: string;
  readonly jwk: X25519Jwk;
}

export interface X25519Jwk {
  readonly kty: 'OKP';
  readonly crv: 'X25519';
  readonly x: string;
}

/** RFC 7638 thumbprint of an X25519 JWK (members in lexicographic order, RFC 8037 §2). */
export function x25519Thumbprint(jwk: X25519Jwk): string {
  if (!ED25519_X_RE.test(jwk.x)) throw new RangeError('"x" is not a base64url 32-byte X25519 public key');
  return createHash('sha256').update(`{"crv":"X25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url');
}

export interface Revocation {
  readonly kid: string;
  /** Batches with a seq above this signed by the key are refused. */
  readonly afterSeq: number;
}

/**
 * What a key statement says. `previous` is the key set in force before it and `keys` the set in
 * force from batch `fromSeq` on, the signing key first: a key only in `previous` is retired
 * (it signed batches before `fromSeq`), a key only in `keys` is new. `statement` counts from 1
 * and `prev` is the base64url SHA-256 of the previous statement's payload bytes, so statements
 * form a hash chain the way batches do.
 */
export interface KeyStatementPayload {
  readonly spamx: 1;
  readonly publisher: string;
  readonly statement: number;
  readonly prev: string | null;
  readonly issuedAt: string;
  readonly fromSeq: number;
  readonly keys: readonly StatementKey[];
  readonly previous: readonly StatementKey[];
  readonly revoked: readonly Revocation[];
  /** The encryption key in force from this statement on; absent in statements made before sealed batches. */
  readonly enc?: EncKey;
}

function malformed(message: string): SpamxError {
  return new SpamxError('KEYS_MALFORMED', message);
}

const isSeq = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;

/** Parses a statement's payload text: JSON without duplicate names, then its shape. */
export function parseKeyStatementPayload(text: string): KeyStatementPayload {
  let value: unknown;
  try {
    value = parseStrictJson(text, 'key statement payload');
  } catch (err) {
    throw malformed((err as Error).message);
  }
  return checkKeyStatementShape(value);
}

/** The payload's shape. Unknown members are ignored, as in batches, so later versions can add some. */
function checkKeyStatementShape(value: unknown): KeyStatementPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('payload is not a JSON object');
  const p = value as Record<string, unknown>;
  if (p.spamx !== PROTOCOL_VERSION) throw malformed(`"spamx" must be ${PROTOCOL_VERSION}`);
  if (typeof p.publisher !== 'string' || !CENTRE_ID_RE.test(p.publisher)) throw malformed('"publisher" is not a centre id');
  if (!isSeq(p.statement, 1)) throw malformed('"statement" must be a positive integer');
  if (p.prev !== null && (typeof p.prev !== 'string' || !HASH_RE.test(p.prev))) throw malformed('"prev" must be null or a base64url SHA-256 hash');
  if ((p.prev === null) !== (p.statement === 1)) throw malformed('"prev" is null exactly for statement 1');
  if (parseTimestamp(p.issuedAt) === undefined) throw malformed('"issuedAt" is not an RFC 3339 UTC timestamp');
  if (!isSeq(p.fromSeq, 1)) throw malformed('"fromSeq" must be a positive integer');
  const keys = keyList(p.keys, 'keys');
  const previous = keyList(p.previous, 'previous');
  const revoked = p.revoked === undefined ? [] : revocations(p.revoked);
  const enc = p.enc === undefined ? undefined : encKey(p.enc);
  return {
    spamx: 1,
    publisher: p.publisher,
    statement: p.statement,
    prev: p.prev as string | null,
    issuedAt: p.issuedAt as string,
    fromSeq: p.fromSeq,
    keys,
    previous,
    revoked,
    ...(enc ? { enc } : {}),
  };
}

function keyList(value: unknown, name: string): StatementKey[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_KEYS) throw malformed(`"${name}" must hold 1 to ${MAX_KEYS} keys`);
  const keys = value.map((raw, i) => statementKey(raw, `"${name}" key ${i}`));
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw malformed(`"${name}" names a key twice`);
  return keys;
}

/** One JWK: Ed25519 public only, its kid recomputed (PROTOCOL "Identifiers": never trusted as given). */
function statementKey(raw: unknown, where: string): StatementKey {
  const jwk = raw as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw malformed(`${where} is not a JSON object`);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw malformed(`${where}: only OKP/Ed25519 keys are accepted`);
  if (jwk.d !== undefined) throw malformed(`${where} is a private key`);
  if (typeof jwk.x !== 'string' || !ED25519_X_RE.test(jwk.x)) throw malformed(`${where}: "x" is not a base64url 32-byte key`);
  const canonical: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = ed25519Thumbprint(canonical);
  if (jwk.kid !== undefined && jwk.kid !== kid) throw malformed(`${where}: kid ${String(jwk.kid)} is not its thumbprint ${kid}`);
  return { kid, jwk: canonical };
}

/** `enc`: one public X25519 JWK with `use: enc` when it says, its kid recomputed. */
function encKey(raw: unknown): EncKey {
  const jwk = raw as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw malformed('"enc" is not a JSON object');
  if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519') throw malformed('"enc": only OKP/X25519 keys are accepted');
  if (jwk.d !== undefined) throw malformed('"enc" is a private key');
  if (jwk.use !== undefined && jwk.use !== 'enc') throw malformed('"enc": "use" must be "enc"');
  if (typeof jwk.x !== 'string' || !ED25519_X_RE.test(jwk.x)) throw malformed('"enc": "x" is not a base64url 32-byte key');
  const canonical: X25519Jwk = { kty: 'OKP', crv: 'X25519', x: jwk.x };
  const kid = x25519Thumbprint(canonical);
  if (jwk.kid !== undefined && jwk.kid !== kid) throw malformed(`"enc": kid ${String(jwk.kid)} is not its thumbprint ${kid}`);
  return { kid, jwk: canonical };
}

/** The public JWK as published (descriptor `keys`, statements' `enc`). */
export function encJwk(k: EncKey): Record<string, string> {
  return { ...k.jwk, kid: k.kid, use: 'enc', alg: 'ECDH-ES+A256KW' };
}

function revocations(value: unknown): Revocation[] {
  if (!Array.isArray(value) || value.length > MAX_REVOKED) throw malformed(`"revoked" must be an array of at most ${MAX_REVOKED}`);
  return value.map((raw, i) => {
    const r = raw as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.kid !== 'string' || !HASH_RE.test(r.kid) || !isSeq(r.afterSeq, 0)) {
      throw malformed(`"revoked" ${i} must be {"kid": thumbprint, "afterSeq": seq}`);
    }
    return { kid: r.kid, afterSeq: r.afterSeq };
  });
}

/** The payload as signed: JWKs carry their kid so a reader need not compute it. */
export function keyStatementJson(p: KeyStatementPayload): string {
  const jwk = (k: StatementKey) => ({ ...k.jwk, kid: k.kid });
  return JSON.stringify({
    spamx: p.spamx,
    publisher: p.publisher,
    statement: p.statement,
    prev: p.prev,
    issuedAt: p.issuedAt,
    fromSeq: p.fromSeq,
    keys: p.keys.map(jwk),
    previous: p.previous.map(jwk),
    ...(p.revoked.length > 0 ? { revoked: p.revoked } : {}),
    ...(p.enc ? { enc: encJwk(p.enc) } : {}),
  });
}

/** What the next statement's `prev` names: SHA-256 of the payload bytes, base64url. */
export function payloadHash(payloadBytes: Uint8Array): string {
  return createHash('sha256').update(payloadBytes).digest('base64url');
}

/**
 * The payload of a statement this node stored after verifying it (RFC 7515 §7.2.1 General JWS
 * JSON Serialization text): decoded again only, since its signatures were checked on the way in.
 */
export function storedStatementPayload(jws: string): KeyStatementPayload {
  const doc = JSON.parse(jws) as { payload: string };
  return parseKeyStatementPayload(Buffer.from(doc.payload, 'base64url').toString('utf8'));
}
