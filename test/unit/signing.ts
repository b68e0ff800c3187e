import { KeyObject, sign } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { buildBatchPayload, type BatchPayload } from '../../src/core/batch.js';
import { leafHash, toBase64Url } from '../../src/core/leaf-hash.js';
import { signBatch } from '../../src/ingest/sign-batch.js';
import { pinKeys, type PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { prefix, T0 } from './fixtures.js';
import { DAY_MS } from '../../src/core/time.js';

export interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly publicKey: CryptoKey;
}

/** A fresh Ed25519 key pair as a centre holds one. */
export async function makeKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { kid: await calculateJwkThumbprint(publicJwk, 'sha256'), privateKey, publicKey, publicJwk };
}

export async function pinned(...keys: TestKey[]): Promise<PinnedKeySet> {
  return pinKeys({ keys: keys.map((k) => k.publicJwk) }, 'test');
}

const b64u = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

/**
 * A compact JWS built by hand, for headers and payloads jose would refuse to produce (duplicate
 * names, non-JSON payloads). The header is used verbatim when given as a string.
 */
export function rawJws(header: string | Record<string, unknown>, payload: string | Uint8Array, key: TestKey): string {
  const signingInput = `${b64u(typeof header === 'string' ? header : JSON.stringify(header))}.${b64u(payload)}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), KeyObject.from(key.privateKey));
  return `${signingInput}.${signature.toString('base64url')}`;
}

export function header(key: TestKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'EdDSA', kid: key.kid, typ: 'spamx-batch+jws', ...extra };
}

export function batchPayload(seq: number, prev: string | null, publisher = 'jp-dekyo'): BatchPayload {
  return buildBatchPayload({
    publisher,
    seq,
    prev,
    issuedAt: T0 + seq * 60_000,
    entries: [
      { op: 'list', prefix: prefix('61.4.12.7'), firstSeen: T0 - 3_600_000, lastSeen: T0, reports: 17, expires: T0 + 30 * DAY_MS, category: 'spam-origin' },
      { op: 'delist', prefix: prefix('116.31.64.0/24'), reason: 'false-positive' },
    ],
  });
}

export async function signedBatch(seq: number, prev: string | null, key: TestKey, publisher = 'jp-dekyo'): Promise<string> {
  return signBatch(batchPayload(seq, prev, publisher), key);
}

export const leafHashOf = (jws: string): string => toBase64Url(leafHash(jws));
