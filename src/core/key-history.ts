import { SpamxError } from './errors.js';
import type { Ed25519Jwk } from './jwk-thumbprint.js';
import type { KeyStatementPayload, StatementKey } from './key-statement.js';

/** Which batches of its publisher a key may sign (README "Key rotation"). */
export interface KeyValidity {
  /** First batch seq the key signs: 1 for the keys a feed started with. */
  readonly fromSeq: number;
  /** Last batch seq it signs, once a rotation retired it; null while it is in force. */
  readonly throughSeq: number | null;
  /** Batches above this seq signed by the key are refused: it was revoked. Null if it was not. */
  readonly revokedAfter: number | null;
}

export interface KeyRecord extends KeyValidity {
  readonly kid: string;
  readonly jwk: Ed25519Jwk;
}

/** A publisher's keys as its statements so far describe them. */
export interface KeyHistory {
  /** Statements applied. */
  readonly count: number;
  /** Payload hash of the last one (what the next one's `prev` must be). */
  readonly lastHash: string | null;
  readonly fromSeq: number;
  /** Keys in force now, the signing key first; empty before the first statement. */
  readonly inForce: readonly string[];
  readonly keys: ReadonlyMap<string, KeyRecord>;
}

export const EMPTY_KEY_HISTORY: KeyHistory = { count: 0, lastHash: null, fromSeq: 1, inForce: [], keys: new Map() };

const broken = (message: string) => new SpamxError('KEYS_CHAIN_BROKEN', message);
const malformed = (message: string) => new SpamxError('KEYS_MALFORMED', message);

/**
 * The history after one more statement, whose signatures are already checked. It must continue
 * the chain (next number, `prev` = hash of the last payload, `previous` = the keys in force,
 * `fromSeq` not going back), and it may not bring back a key it knew before nor put a revoked
 * key in force: a key's batches are then always one seq range, which is what receivers check.
 */
export function applyStatement(h: KeyHistory, p: KeyStatementPayload, hash: string): KeyHistory {
  if (p.statement !== h.count + 1) throw broken(`statement ${p.statement} where ${h.count + 1} comes next`);
  if (p.prev !== h.lastHash) throw broken(`statement ${p.statement} has prev ${String(p.prev)}, the last held has payload hash ${String(h.lastHash)}`);
  if (p.fromSeq < h.fromSeq) throw broken(`statement ${p.statement} has fromSeq ${p.fromSeq} below the ${h.fromSeq} before it`);
  const keys = new Map(h.keys);
  const kids = (list: readonly StatementKey[]) => new Set(list.map((k) => k.kid));
  const previous = kids(p.previous);
  if (h.count === 0) {
    for (const k of p.previous) keys.set(k.kid, { kid: k.kid, jwk: k.jwk, fromSeq: 1, throughSeq: null, revokedAfter: null });
  } else if (previous.size !== h.inForce.length || h.inForce.some((kid) => !previous.has(kid))) {
    throw broken(`statement ${p.statement} says keys ${[...previous].join(', ')} were in force, the chain says ${h.inForce.join(', ')}`);
  }
  const next = kids(p.keys);
  for (const k of p.keys) {
    if (previous.has(k.kid)) continue;
    if (keys.has(k.kid)) throw malformed(`statement ${p.statement} brings back key ${k.kid}`);
    keys.set(k.kid, { kid: k.kid, jwk: k.jwk, fromSeq: p.fromSeq, throughSeq: null, revokedAfter: null });
  }
  for (const k of p.previous) if (!next.has(k.kid)) keys.set(k.kid, { ...keys.get(k.kid)!, throughSeq: p.fromSeq - 1 });
  for (const r of p.revoked) {
    const record = keys.get(r.kid);
    if (!record) throw malformed(`statement ${p.statement} revokes ${r.kid}, a key the chain never had`);
    if (next.has(r.kid)) throw malformed(`statement ${p.statement} revokes ${r.kid} and keeps it in force`);
    keys.set(r.kid, { ...record, revokedAfter: Math.min(record.revokedAfter ?? Infinity, r.afterSeq) });
  }
  return { count: p.statement, lastHash: hash, fromSeq: p.fromSeq, inForce: p.keys.map((k) => k.kid), keys };
}

/** `current` (signs the next batch), `in force`, `retired` or `revoked`. */
export function keyStatus(h: KeyHistory, kid: string): 'current' | 'in force' | 'retired' | 'revoked' {
  const record = h.keys.get(kid);
  if (record?.revokedAfter !== null && record?.revokedAfter !== undefined) return 'revoked';
  if (h.inForce[0] === kid) return 'current';
  return h.inForce.includes(kid) ? 'in force' : 'retired';
}

/**
 * Whether a key may sign batch `seq`: a revoked key's batches after `afterSeq` fail as
 * JWS_REVOKED_KEY; a key's batches outside its range (before the rotation that brought it in,
 * after the one that retired it) as JWS_KEY_NOT_IN_FORCE. No validity means no statement ever
 * named the key: it signs any seq, as before rotations existed.
 */
export function checkKeyInForce(kid: string, validity: KeyValidity | undefined, seq: number): void {
  if (!validity) return;
  if (validity.revokedAfter !== null && seq > validity.revokedAfter) {
    throw new SpamxError('JWS_REVOKED_KEY', `key ${kid} was revoked for batches after seq ${validity.revokedAfter}; this is seq ${seq}`, { seq });
  }
  if (seq < validity.fromSeq || (validity.throughSeq !== null && seq > validity.throughSeq)) {
    const range = `${validity.fromSeq}..${validity.throughSeq ?? ''}`;
    throw new SpamxError('JWS_KEY_NOT_IN_FORCE', `key ${kid} signs batches ${range} of its publisher; this is seq ${seq}`, { seq });
  }
}
