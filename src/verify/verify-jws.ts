import { isUtf8 } from 'node:buffer';
import { verify as verifySignature } from 'node:crypto';
import { SpamxError } from '../core/errors.js';
import { MAX_JWS_BYTES } from '../core/batch.js';
import { findDuplicateMember } from '../core/strict-json.js';
import { leafInput } from '../core/leaf-hash.js';
import type { PinnedKey, PinnedKeySet } from './pinned-keys.js';

export interface VerifiedJws {
  readonly kid: string;
  readonly key: PinnedKey;
  /** The payload as UTF-8 text, signature already checked. */
  readonly payloadText: string;
}

/** Header members that carry or point at a key: a verifier uses only keys it pinned. */
const EMBEDDED_KEY_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A compact JWS whose structure, header and key passed, its signature not yet checked. */
export interface InspectedJws {
  readonly key: PinnedKey;
  /** 0x00 ‖ the JWS bytes (core/leaf-hash.ts `leafInput`); `signingInput` is a view into it. */
  readonly leafInput: Buffer;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  readonly payloadBytes: Buffer;
}

/**
 * Verifies a compact JWS (RFC 7515 §7.1) the way jose orders it: cheap structure first, then
 * the algorithm allow-list, then the key lookup, then the signature. Only EdDSA over a pinned
 * Ed25519 key passes. Written on node:crypto rather than jose's compactVerify because jose's
 * portable base64 path made a 100,000-entry batch 3× slower to verify on Node 20 (README,
 * "Benchmarks").
 */
export function verifyCompactJws(jws: string, keys: PinnedKeySet, expectedTyp: string): VerifiedJws {
  const inspected = inspectCompactJws(jws, keys, expectedTyp);
  checkSignature(inspected);
  return { kid: inspected.key.kid, key: inspected.key, payloadText: decodePayload(inspected) };
}

/** The Ed25519 check of an inspected JWS, on this thread; throws JWS_BAD_SIGNATURE. */
export function checkSignature(inspected: InspectedJws): void {
  const { signature, signingInput, key } = inspected;
  if (signature.length !== 64 || !verifySignature(null, signingInput, key.keyObject, signature)) throw badSignature(key);
}

/**
 * The same verdicts as verifyCompactJws, with the Ed25519 check on libuv's thread pool so the
 * caller can parse the payload meanwhile. Nothing may be stored before this resolves.
 */
export function verifySignatureInBackground(inspected: InspectedJws): Promise<void> {
  const { signature, signingInput, key } = inspected;
  if (signature.length !== 64) return Promise.reject(badSignature(key));
  return new Promise((resolve, reject) =>
    verifySignature(null, signingInput, key.keyObject, signature, (err, ok) => (err || !ok ? reject(badSignature(key)) : resolve())),
  );
}

/**
 * A compact JWS as text, or as bytes: 0x00 ‖ the JWS's ASCII bytes (core/leaf-hash.ts
 * `leafInput`), as the feed reader fetches a large batch so that no batch-sized string is made;
 * then maybe with its leaf hash, SHA-256 of exactly those bytes, computed as they arrived.
 */
export type CompactJws = string | { readonly leafInput: Buffer; readonly leafHash?: Buffer };

/** Every check of the JWS short of the signature itself. */
export function inspectCompactJws(jws: CompactJws, keys: PinnedKeySet, expectedTyp: string): InspectedJws {
  const { kid, ...checked } = typeof jws === 'string' ? checkCompactJws(jws, expectedTyp) : checkCompactJwsBytes(jws.leafInput, expectedTyp);
  const key = typeof kid === 'string' ? keys.get(kid) : undefined;
  if (!key) throw new SpamxError('JWS_UNKNOWN_KID', `kid ${JSON.stringify(kid)} is not a pinned key of this publisher`);
  return { key, ...checked };
}

/** A compact JWS whose structure and header passed, its key not yet looked up. */
export type CheckedJws = Omit<InspectedJws, 'key'> & { readonly kid: unknown };

/**
 * The checks before the key lookup, in jose's order: size, structure, header, alg allow-list,
 * typ, crit, embedded keys. Key statements (verify-key-chain.ts) run them on each signature of
 * a General JWS and look the key up themselves.
 */
export function checkCompactJws(jws: string, expectedTyp: string): CheckedJws {
  if (jws.length > MAX_JWS_BYTES) {
    throw new SpamxError('JWS_TOO_LARGE', `compact JWS is ${jws.length} bytes; at most ${MAX_JWS_BYTES} accepted`);
  }
  const firstDot = jws.indexOf('.');
  const secondDot = jws.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || jws.indexOf('.', secondDot + 1) >= 0) {
    throw new SpamxError('JWS_MALFORMED', 'compact JWS must have exactly three dot-separated parts');
  }
  const decode = (from: number, to: number, what: string) => decodeBase64Url(jws.slice(from, to), what);
  return checkParts(decode, [0, firstDot, secondDot, jws.length], expectedTyp, () => leafInput(jws));
}

/** checkCompactJws, with the same verdicts in the same order, for the JWS as 0x00 ‖ its bytes. */
export function checkCompactJwsBytes(leaf: Buffer, expectedTyp: string): CheckedJws {
  if (leaf.length - 1 > MAX_JWS_BYTES) {
    throw new SpamxError('JWS_TOO_LARGE', `compact JWS is ${leaf.length - 1} bytes; at most ${MAX_JWS_BYTES} accepted`);
  }
  const firstDot = leaf.indexOf(0x2e, 1);
  const secondDot = leaf.indexOf(0x2e, firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || leaf.indexOf(0x2e, secondDot + 1) >= 0) {
    throw new SpamxError('JWS_MALFORMED', 'compact JWS must have exactly three dot-separated parts');
  }
  const decode = (from: number, to: number, what: string) => decodeBase64UrlBytes(leaf, from + 1, to + 1, what);
  return checkParts(decode, [0, firstDot - 1, secondDot - 1, leaf.length - 1], expectedTyp, () => leaf);
}

/**
 * The checks after the structure, in jose's order: each part's encoding, then the header. The
 * offsets are the JWS's start, its two dots and its end; `decode` decodes the part between two
 * of them.
 */
function checkParts(
  decode: (from: number, to: number, what: string) => Buffer,
  [start, firstDot, secondDot, end]: readonly [number, number, number, number],
  expectedTyp: string,
  leafBytes: () => Buffer,
): CheckedJws {
  const headerBytes = decode(start, firstDot, 'protected header');
  const payloadBytes = decode(firstDot + 1, secondDot, 'payload');
  const signature = decode(secondDot + 1, end, 'signature');

  const header = parseHeader(headerBytes);
  if (typeof header.alg === 'string' && header.alg.toLowerCase() === 'none') {
    throw new SpamxError('JWS_ALG_NONE', 'unsecured JWS (alg "none") is never accepted');
  }
  if (header.alg !== 'EdDSA') {
    throw new SpamxError('JWS_ALG_NOT_ALLOWED', `alg ${JSON.stringify(header.alg)} is not allowed; only EdDSA`);
  }
  if (header.typ !== expectedTyp) {
    throw new SpamxError('JWS_BAD_TYP', `typ ${JSON.stringify(header.typ)} is not "${expectedTyp}"`);
  }
  if (header.crit !== undefined) {
    // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
    throw new SpamxError('JWS_UNKNOWN_CRIT', `unknown critical header parameters ${JSON.stringify(header.crit)}`);
  }
  const embedded = EMBEDDED_KEY_MEMBERS.find((m) => header[m] !== undefined);
  if (embedded) throw new SpamxError('JWS_EMBEDDED_KEY', `header carries "${embedded}"; only pinned keys are used`);
  const bytes = leafBytes();
  return { kid: header.kid, leafInput: bytes, signingInput: bytes.subarray(1, 1 + secondDot), signature, payloadBytes };
}

export function decodePayload(inspected: InspectedJws): string {
  if (!isUtf8(inspected.payloadBytes)) throw new SpamxError('BATCH_INVALID_JSON', 'payload is not valid UTF-8');
  return inspected.payloadBytes.toString('utf8');
}

function badSignature(key: PinnedKey): SpamxError {
  return new SpamxError('JWS_BAD_SIGNATURE', `Ed25519 signature does not verify with key ${key.kid}`);
}


/**
 * Strict base64url (RFC 7515 §2: no padding, no whitespace). Node's decoder skips characters
 * outside the alphabet, also reads `+` and `/`, and ignores the unused bits of the last
 * character; the signature is not part of the signing input, so without these checks anyone
 * could re-encode it and change a batch's bytes (and leaf hash) without the key.
 */
function decodeBase64Url(part: string, what: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  const tail = part.length % 4; // RFC 4648 §3.5: the last 2 or 3 characters must be canonical
  // The decoder skips any other character (padding, whitespace, …), which shortens the output;
  // only `+` and `/` it decodes silently, so those are looked for (indexOf beats a regex on 48 MiB).
  if (
    tail === 1 ||
    part.includes('+') ||
    part.includes('/') ||
    bytes.length !== Math.floor((part.length * 3) / 4) ||
    (tail !== 0 && bytes.subarray(bytes.length - (tail - 1)).toString('base64url') !== part.slice(-tail))
  ) {
    throw new SpamxError('JWS_MALFORMED', `${what} is not unpadded base64url`);
  }
  return bytes;
}

/** Characters per slice in decodeBase64UrlBytes: a string this size dies young. */
const BASE64_SLICE = 64 * 1024;

/**
 * decodeBase64Url over the bytes [from, to) of a buffer, read as Latin-1 a slice at a time, with
 * the same verdicts: no string as long as a batch's payload is ever made. A byte above 0x7f is
 * a Latin-1 character outside the alphabet, skipped by the decoder like any other, and each
 * skipped character leaves the output short of three quarters of the length, as in the whole.
 */
function decodeBase64UrlBytes(buf: Buffer, from: number, to: number, what: string): Buffer {
  const length = to - from;
  const tail = length % 4;
  const out = Buffer.allocUnsafe(Math.floor((length * 3) / 4));
  let written = 0;
  let valid = tail !== 1;
  for (let at = from; valid && at < to; at += BASE64_SLICE) {
    const text = buf.toString('latin1', at, Math.min(at + BASE64_SLICE, to));
    if (text.includes('+') || text.includes('/')) valid = false;
    else written += out.write(text, written, 'base64url');
  }
  if (!valid || written !== out.length || (tail !== 0 && out.subarray(out.length - (tail - 1)).toString('base64url') !== buf.toString('latin1', to - tail, to))) {
    throw new SpamxError('JWS_MALFORMED', `${what} is not unpadded base64url`);
  }
  return out;
}

function parseHeader(bytes: Buffer): Record<string, unknown> {
  let text: string;
  let header: unknown;
  try {
    text = utf8.decode(bytes);
    header = JSON.parse(text);
  } catch {
    throw new SpamxError('JWS_BAD_HEADER', 'protected header is not UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SpamxError('JWS_BAD_HEADER', 'protected header is not a JSON object');
  }
  const duplicate = findDuplicateMember(text);
  if (duplicate) throw new SpamxError('JWS_BAD_HEADER', `protected header repeats ${JSON.stringify(duplicate.name)}`);
  return header as Record<string, unknown>;
}
