import { createHmac } from 'node:crypto';
import { GeneralSign } from 'jose';
import { keyStatementJson, KEYS_TYP, type KeyStatementPayload, type Revocation, type StatementKey } from '../../src/core/key-statement.js';
import type { TestKey } from './signing.js';

/** Test helpers for key statements (README "Key rotation"), signed with jose's GeneralSign. */
export const statementKey = (k: TestKey): StatementKey => ({ kid: k.kid, jwk: { kty: 'OKP', crv: 'Ed25519', x: k.publicJwk.x! } });

export interface StatementOptions {
  readonly statement?: number;
  readonly prev?: string | null;
  readonly publisher?: string;
  readonly fromSeq?: number;
  readonly keys: readonly TestKey[];
  readonly previous: readonly TestKey[];
  readonly revoked?: readonly Revocation[];
}

export function statementPayload(o: StatementOptions): KeyStatementPayload {
  return {
    spamx: 1,
    publisher: o.publisher ?? 'jp-dekyo',
    statement: o.statement ?? 1,
    prev: o.prev ?? null,
    issuedAt: '2026-11-22T10:15:00Z',
    fromSeq: o.fromSeq ?? 4,
    keys: o.keys.map(statementKey),
    previous: o.previous.map(statementKey),
    revoked: o.revoked ?? [],
  };
}

/** An RFC 7515 §7.2.1 General JWS as jose builds it, one signature per signer. */
export async function generalSign(payload: KeyStatementPayload | string, signers: readonly TestKey[], header: Record<string, unknown> = {}) {
  const text = typeof payload === 'string' ? payload : keyStatementJson(payload);
  const sign = new GeneralSign(new TextEncoder().encode(text));
  for (const k of signers) sign.addSignature(k.privateKey).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ: KEYS_TYP, ...header } as { alg: string });
  return (await sign.sign()) as unknown as { payload: string; signatures: { protected: string; signature: string; header?: unknown }[] };
}

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** A statement whose one signature has a hand-made header: `alg` none or an HMAC keyed with the public key. */
export function forgedAlg(payload: KeyStatementPayload, key: TestKey, alg: 'none' | 'HS256') {
  const header = b64u(JSON.stringify({ alg, kid: key.kid, typ: KEYS_TYP }));
  const body = b64u(keyStatementJson(payload));
  const signature = alg === 'none' ? '' : b64u(createHmac('sha256', Buffer.from(key.publicJwk.x!, 'base64url')).update(`${header}.${body}`).digest());
  return { payload: body, signatures: [{ protected: header, signature }] };
}
