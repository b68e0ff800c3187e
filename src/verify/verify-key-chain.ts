import { createPublicKey, type KeyObject } from 'node:crypto';
import { ed25519Verify } from '../core/ed25519.js';
import { SpamxError } from '../core/errors.js';
import { applyStatement, type KeyHistory } from '../core/key-history.js';
import { MAX_STATEMENTS, parseKeyStatementPayload, type KeyStatementPayload } from '../core/key-statement.js';
import { parseKeyStatement, type ParsedStatement, type StatementSignature } from './parse-key-statement.js';
import type { PinnedKeySet } from './pinned-keys.js';

export interface KeyChainContext {
  readonly publisher: string;
  /** The keys this node pinned for the publisher: the chain must be anchored in one of them. */
  readonly pinned: PinnedKeySet;
  /** Payload hashes of the statements already held (verified before), in order. */
  readonly held: readonly string[];
  /** The history those statements make. */
  readonly history: KeyHistory;
}

export interface VerifiedStatement {
  readonly payload: KeyStatementPayload;
  readonly payloadHash: string;
  readonly text: string;
}

const notAuthorized = (message: string) => new SpamxError('KEYS_NOT_AUTHORIZED', message);

/**
 * Verifies a publisher's key statements, in order from statement 1, as one source serves them
 * (README "Key rotation"). Statements already held must come back unchanged. Each new one must
 * be signed by a key in force before it (a rotation is authorised by the old key) and by every
 * key it brings in (proof of possession), and continue the chain. The whole chain must be
 * anchored in a pinned key: with statements held, it is (they were verified so); otherwise the
 * first statement a pinned key signed is the anchor, and the statements before it are authentic
 * through the `prev` hashes that signature covers. So a node that pinned the original key, or
 * only a later one, follows the same history. Per statement the order is jose's: structure and
 * headers, then key lookup, then signatures, then the payload.
 */
export function verifyKeyChain(docs: readonly unknown[], ctx: KeyChainContext): { history: KeyHistory; fresh: VerifiedStatement[] } {
  if (docs.length > MAX_STATEMENTS) throw new SpamxError('KEYS_MALFORMED', `more than ${MAX_STATEMENTS} key statements`);
  const parsed = docs.map((doc, i) => numbered(i + 1, () => parseKeyStatement(doc)));
  parsed.slice(0, ctx.held.length).forEach((s, i) => {
    if (s.payloadHash !== ctx.held[i]) throw new SpamxError('KEYS_CHAIN_BROKEN', `statement ${i + 1} differs from the one this node holds`);
  });
  const payloads: (KeyStatementPayload | undefined)[] = [];
  if (ctx.held.length === 0 && parsed.length > 0) anchor(parsed, ctx.pinned, payloads);
  let history = ctx.history;
  const fresh: VerifiedStatement[] = [];
  for (let i = ctx.held.length; i < parsed.length; i++) {
    const s = parsed[i]!;
    const payload = numbered(i + 1, () => {
      // Statement 1 is authorised by the keys it says were in force: its payload is already
      // authentic here, through the anchor's signature.
      const authority = i === 0 ? new Map(payloads[0]!.previous.map((k) => [k.kid, k.jwk])) : inForce(history);
      const signers = s.signatures.filter((sig) => authority.has(sig.kid));
      if (signers.length === 0) throw notAuthorized(`signed by ${kids(s)}, none of them a key in force before it (${[...authority.keys()].join(', ')})`);
      for (const sig of signers) verifySignature(sig, keyObject(authority.get(sig.kid)!));
      const p = payloads[i] ?? parseKeyStatementPayload(utf8(s.payloadBytes));
      if (p.publisher !== ctx.publisher) throw new SpamxError('KEYS_WRONG_PUBLISHER', `statement names publisher "${p.publisher}", expected "${ctx.publisher}"`);
      const incoming = p.keys.filter((k) => !p.previous.some((q) => q.kid === k.kid));
      for (const sig of s.signatures) {
        if (signers.includes(sig)) continue;
        const key = incoming.find((k) => k.kid === sig.kid);
        if (!key) throw new SpamxError('JWS_UNKNOWN_KID', `signed by ${sig.kid}, neither a key in force before it nor one it brings in`);
        verifySignature(sig, keyObject(key.jwk));
      }
      const unsigned = incoming.filter((k) => !s.signatures.some((sig) => sig.kid === k.kid));
      if (unsigned.length > 0) throw new SpamxError('KEYS_NEW_KEY_UNSIGNED', `brings in ${unsigned.map((k) => k.kid).join(', ')} without its signature`);
      history = applyStatement(history, p, s.payloadHash);
      return p;
    });
    fresh.push({ payload, payloadHash: s.payloadHash, text: s.text });
  }
  return { history, fresh };
}

/**
 * Finds the first statement a pinned key signed and checks that signature, then authenticates
 * every statement before it through the `prev` hashes, filling `payloads` up to the anchor.
 */
function anchor(parsed: readonly ParsedStatement[], pinned: PinnedKeySet, payloads: (KeyStatementPayload | undefined)[]): void {
  const at = parsed.findIndex((s) => s.signatures.some((sig) => pinned.has(sig.kid)));
  if (at < 0) throw notAuthorized(`no key statement is signed by a key pinned for this publisher (${[...pinned.keys()].join(', ')})`);
  numbered(at + 1, () => {
    for (const sig of parsed[at]!.signatures) if (pinned.has(sig.kid)) verifySignature(sig, pinned.get(sig.kid)!.keyObject);
    payloads[at] = parseKeyStatementPayload(utf8(parsed[at]!.payloadBytes));
  });
  for (let i = at - 1; i >= 0; i--) {
    if (payloads[i + 1]!.prev !== parsed[i]!.payloadHash) {
      throw new SpamxError('KEYS_CHAIN_BROKEN', `statement ${i + 2}'s prev does not name statement ${i + 1}`);
    }
    payloads[i] = numbered(i + 1, () => parseKeyStatementPayload(utf8(parsed[i]!.payloadBytes)));
  }
}

function inForce(history: KeyHistory): Map<string, { kty: 'OKP'; crv: 'Ed25519'; x: string }> {
  return new Map(history.inForce.map((kid) => [kid, history.keys.get(kid)!.jwk]));
}

function verifySignature(sig: StatementSignature, key: KeyObject): void {
  if (!ed25519Verify(key, sig.signingInput, sig.signature)) {
    throw new SpamxError('JWS_BAD_SIGNATURE', `Ed25519 signature does not verify with key ${sig.kid}`);
  }
}

const keyObject = (jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string }): KeyObject => createPublicKey({ key: { ...jwk }, format: 'jwk' });
const kids = (s: ParsedStatement) => s.signatures.map((sig) => sig.kid).join(', ');

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SpamxError('KEYS_MALFORMED', 'payload is not UTF-8');
  }
}

/** Runs `fn`, prefixing any SpamxError with the statement it concerns. */
function numbered<T>(n: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SpamxError) throw new SpamxError(err.code, `key statement ${n}: ${err.message}`, { ...err.details, statement: n });
    throw err;
  }
}
