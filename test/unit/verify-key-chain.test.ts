import { beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, generalVerify } from 'jose';
import { checkKeyInForce, EMPTY_KEY_HISTORY, type KeyHistory } from '../../src/core/key-history.js';
import { ed25519Thumbprint } from '../../src/core/jwk-thumbprint.js';
import { payloadHash } from '../../src/core/key-statement.js';
import { signKeyStatement } from '../../src/ingest/sign-key-statement.js';
import { keySetOf } from '../../src/verify/key-set.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { verifyBatch } from '../../src/verify/verify-batch.js';
import { verifyKeyChain } from '../../src/verify/verify-key-chain.js';
import { thrownCode } from './fixtures.js';
import { forgedAlg, generalSign, statementPayload } from './key-statements.js';
import { leafHashOf, makeKey, pinned, signedBatch, type TestKey } from './signing.js';

let a: TestKey; // the key jp-dekyo started with
let b: TestKey; // the key it rotated to at seq 4
let c: TestKey; // a second rotation
let x: TestKey; // an attacker's key
let pinsA: PinnedKeySet;
let rotation: unknown; // statement 1: A → B from seq 4, signed by both

beforeAll(async () => {
  [a, b, c, x] = await Promise.all([makeKey(), makeKey(), makeKey(), makeKey()]);
  pinsA = await pinned(a);
  rotation = await generalSign(statementPayload({ previous: [a], keys: [b] }), [a, b]);
});

const fresh = (pins: PinnedKeySet, ...docs: unknown[]) =>
  verifyKeyChain(docs, { publisher: 'jp-dekyo', pinned: pins, held: [], history: EMPTY_KEY_HISTORY });
const codeOf = (pins: PinnedKeySet, ...docs: unknown[]) => thrownCode(() => fresh(pins, ...docs));
const hashOf = (doc: unknown) => payloadHash(Buffer.from((doc as { payload: string }).payload, 'base64url'));

describe('key statements: a rotation', () => {
  it('is accepted when signed by the pinned old key and the new key', () => {
    const { history, fresh: stored } = fresh(pinsA, rotation);
    expect(stored).toHaveLength(1);
    expect(history.inForce).toEqual([b.kid]);
    expect(history.keys.get(a.kid)).toMatchObject({ fromSeq: 1, throughSeq: 3, revokedAfter: null });
    expect(history.keys.get(b.kid)).toMatchObject({ fromSeq: 4, throughSeq: null, revokedAfter: null });
  });

  it('is refused when signed by the new key only', async () => {
    const doc = await generalSign(statementPayload({ previous: [a], keys: [b] }), [b]);
    expect(codeOf(pinsA, doc)).toBe('KEYS_NOT_AUTHORIZED');
    // Even by a receiver that pinned the new key: the old key must authorise its successor.
    expect(codeOf(await pinned(b), doc)).toBe('KEYS_NOT_AUTHORIZED');
  });

  it('is refused when signed by keys the receiver never pinned', async () => {
    expect(codeOf(pinsA, await generalSign(statementPayload({ previous: [x], keys: [c] }), [x, c]))).toBe('KEYS_NOT_AUTHORIZED');
    expect(codeOf(pinsA, await generalSign(statementPayload({ previous: [a], keys: [x] }), [x]))).toBe('KEYS_NOT_AUTHORIZED');
  });

  it('is refused when the new key did not sign it', async () => {
    expect(codeOf(pinsA, await generalSign(statementPayload({ previous: [a], keys: [b] }), [a]))).toBe('KEYS_NEW_KEY_UNSIGNED');
  });

  it('is refused when tampered with', async () => {
    const doc = rotation as { payload: string; signatures: unknown[] };
    const tampered = { ...doc, payload: Buffer.from(JSON.stringify({ ...statementPayload({ previous: [a], keys: [b] }), fromSeq: 2 })).toString('base64url') };
    expect(codeOf(pinsA, tampered)).toBe('JWS_BAD_SIGNATURE');
    const sig = doc.signatures[1] as { protected: string; signature: string };
    const flipped = { ...doc, signatures: [doc.signatures[0], { ...sig, signature: `${sig.signature[0] === 'A' ? 'B' : 'A'}${sig.signature.slice(1)}` }] };
    expect(codeOf(pinsA, flipped)).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses alg none and HS256 keyed with the public key before any key is used', () => {
    const p = statementPayload({ previous: [a], keys: [b] });
    expect(codeOf(pinsA, forgedAlg(p, a, 'none'))).toBe('JWS_ALG_NONE');
    expect(codeOf(pinsA, forgedAlg(p, a, 'HS256'))).toBe('JWS_ALG_NOT_ALLOWED');
  });

  it('refuses the wrong typ, embedded keys and unprotected headers', async () => {
    const p = statementPayload({ previous: [a], keys: [b] });
    expect(codeOf(pinsA, await generalSign(p, [a, b], { typ: 'spamx-batch+jws' }))).toBe('JWS_BAD_TYP');
    expect(codeOf(pinsA, await generalSign(p, [a, b], { jwk: { ...b.publicJwk } }))).toBe('JWS_EMBEDDED_KEY');
    const doc = (await generalSign(p, [a, b])) as { signatures: object[] };
    expect(codeOf(pinsA, { ...doc, signatures: doc.signatures.map((s) => ({ ...s, header: { kid: x.kid } })) })).toBe('JWS_BAD_HEADER');
  });

  it('is refused when it names another publisher', async () => {
    expect(codeOf(pinsA, await generalSign(statementPayload({ publisher: 'cn-isc', previous: [a], keys: [b] }), [a, b]))).toBe('KEYS_WRONG_PUBLISHER');
  });

  it('is refused with a kid that is not the thumbprint of its key', async () => {
    const p = statementPayload({ previous: [a], keys: [b] });
    const text = JSON.stringify({ ...JSON.parse(JSON.stringify(p)), keys: [{ ...p.keys[0]!.jwk, kid: x.kid }], previous: [{ ...p.previous[0]!.jwk }] });
    expect(codeOf(pinsA, await generalSign(text, [a, b]))).toBe('KEYS_MALFORMED');
  });

  it('verifies the statements spamx signs with jose generalVerify too', async () => {
    const { KeyObject } = await import('node:crypto');
    const text = signKeyStatement(statementPayload({ previous: [a], keys: [b] }), [
      { kid: a.kid, key: KeyObject.from(a.privateKey) },
      { kid: b.kid, key: KeyObject.from(b.privateKey) },
    ]);
    const doc = JSON.parse(text) as Parameters<typeof generalVerify>[0];
    expect((await generalVerify(doc, b.publicKey)).protectedHeader).toEqual({ alg: 'EdDSA', kid: b.kid, typ: 'spamx-keys+jws' });
    expect(fresh(pinsA, doc).history.inForce).toEqual([b.kid]);
  });

  it('computes kids as jose does (RFC 7638)', async () => {
    expect(ed25519Thumbprint({ kty: 'OKP', crv: 'Ed25519', x: a.publicJwk.x! })).toBe(await calculateJwkThumbprint(a.publicJwk, 'sha256'));
  });
});

describe('key statements: a chain', () => {
  let second: unknown; // statement 2: B → C from seq 7, signed by B and C

  beforeAll(async () => {
    second = await generalSign(statementPayload({ statement: 2, prev: hashOf(rotation), fromSeq: 7, previous: [b], keys: [c] }), [b, c]);
  });

  it('is followed by a node that pinned the original key', () => {
    const { history } = fresh(pinsA, rotation, second);
    expect(history.inForce).toEqual([c.kid]);
    expect(history.keys.get(b.kid)).toMatchObject({ fromSeq: 4, throughSeq: 6 });
  });

  it('is followed by a node that pinned only the current key, history included', async () => {
    const { history } = fresh(await pinned(c), rotation, second);
    expect(history.keys.get(a.kid)).toMatchObject({ fromSeq: 1, throughSeq: 3 });
  });

  it('continues only from the statements held, unchanged', async () => {
    const first = fresh(pinsA, rotation);
    const next = verifyKeyChain([rotation, second], { publisher: 'jp-dekyo', pinned: pinsA, held: [hashOf(rotation)], history: first.history });
    expect(next.fresh.map((f) => f.payload.statement)).toEqual([2]);
    const other = await generalSign(statementPayload({ previous: [a], keys: [c] }), [a, c]);
    expect(thrownCode(() => verifyKeyChain([other], { publisher: 'jp-dekyo', pinned: pinsA, held: [hashOf(rotation)], history: first.history }))).toBe('KEYS_CHAIN_BROKEN');
  });

  it('refuses a statement that does not chain to the one before', async () => {
    const unchained = await generalSign(statementPayload({ statement: 2, prev: hashOf(second), fromSeq: 7, previous: [b], keys: [c] }), [b, c]);
    expect(codeOf(pinsA, rotation, unchained)).toBe('KEYS_CHAIN_BROKEN');
  });

  it('lets no retired key authorise a later statement', async () => {
    const byOld = await generalSign(statementPayload({ statement: 2, prev: hashOf(rotation), fromSeq: 7, previous: [b], keys: [x] }), [a, x]);
    expect(codeOf(pinsA, rotation, byOld)).toBe('KEYS_NOT_AUTHORIZED');
  });
});

describe('key validity', () => {
  let history: KeyHistory;

  beforeAll(async () => {
    const revocation = await generalSign(
      statementPayload({ statement: 2, prev: hashOf(rotation), fromSeq: 4, previous: [b], keys: [b], revoked: [{ kid: a.kid, afterSeq: 3 }] }),
      [b],
    );
    history = fresh(pinsA, rotation, revocation).history;
  });

  it('refuses a revoked key after afterSeq, a retired key after its range, a new key before it', () => {
    expect(() => checkKeyInForce(a.kid, history.keys.get(a.kid), 3)).not.toThrow();
    expect(thrownCode(() => checkKeyInForce(a.kid, history.keys.get(a.kid), 4))).toBe('JWS_REVOKED_KEY');
    expect(thrownCode(() => checkKeyInForce(b.kid, history.keys.get(b.kid), 3))).toBe('JWS_KEY_NOT_IN_FORCE');
    expect(() => checkKeyInForce(b.kid, history.keys.get(b.kid), 4)).not.toThrow();
    const retiredOnly = fresh(pinsA, rotation).history;
    expect(thrownCode(() => checkKeyInForce(a.kid, retiredOnly.keys.get(a.kid), 4))).toBe('JWS_KEY_NOT_IN_FORCE');
  });

  it('verifies history with the old key and refuses its batch 4 as JWS_REVOKED_KEY', async () => {
    const keys = keySetOf(history, pinsA);
    let head = { size: 0, head: null as string | null };
    for (let seq = 1; seq <= 3; seq++) {
      const jws = await signedBatch(seq, head.head, a);
      head = { size: seq, head: verifyBatch(jws, { publisher: 'jp-dekyo', keys, head }).leafHash };
    }
    const forged = await signedBatch(4, head.head, a);
    expect(thrownCode(() => verifyBatch(forged, { publisher: 'jp-dekyo', keys, head }))).toBe('JWS_REVOKED_KEY');
    const honest = await signedBatch(4, head.head, b);
    expect(verifyBatch(honest, { publisher: 'jp-dekyo', keys, head }).leafHash).toBe(leafHashOf(honest));
  });

  it('refuses a statement that revokes a key it keeps in force', async () => {
    const bad = await generalSign(
      statementPayload({ statement: 2, prev: hashOf(rotation), fromSeq: 4, previous: [b], keys: [b], revoked: [{ kid: b.kid, afterSeq: 5 }] }),
      [b],
    );
    expect(codeOf(pinsA, rotation, bad)).toBe('KEYS_MALFORMED');
  });
});
