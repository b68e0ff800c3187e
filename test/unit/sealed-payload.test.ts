import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { GeneralEncrypt, generalDecrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkBatchShape } from '../../src/core/batch.js';
import { parseKeyStatementPayload, keyStatementJson, x25519Thumbprint, type X25519Jwk } from '../../src/core/key-statement.js';
import { checkSealedShape, recipientsColumn } from '../../src/core/sealed-payload.js';
import { isSpamxError } from '../../src/core/errors.js';
import { openSealed } from '../../src/ingest/open-sealed.js';
import { sealInner } from '../../src/ingest/seal-batch.js';

/** A recipient's X25519 key pair as a node holds it. */
function encKey() {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk: X25519Jwk = { kty: 'OKP', crv: 'X25519', x: privateKey.export({ format: 'jwk' }).x! };
  return { kid: x25519Thumbprint(jwk), jwk, privateKey };
}

const INNER = Buffer.from('eyJhbGciOiJFZERTQSJ9.eyJzcGFteCI6MX0.c2lnbmF0dXJl', 'ascii');

describe('sealing and opening (ECDH-ES+A256KW, A256GCM)', () => {
  it('each recipient opens the same inner JWS, and jose agrees with the node:crypto opener', async () => {
    const a = encKey();
    const b = encKey();
    const sealed = await sealInner(INNER, new Map([['jp-dekyo', a], ['cn-isc', b]]), 'amber');
    expect(sealed.recipients).toEqual(['cn-isc', 'jp-dekyo']);
    expect(sealed.innerDigest).toBe(createHash('sha256').update(INNER).digest('base64url'));
    const shaped = checkSealedShape(JSON.parse(JSON.stringify(sealed)));
    for (const k of [a, b]) {
      expect(openSealed(shaped, { self: 'x', keys: [{ kid: k.kid, privateKey: k.privateKey }] }).equals(INNER)).toBe(true);
      expect(Buffer.from((await generalDecrypt(sealed.jwe as never, k.privateKey)).plaintext).equals(INNER)).toBe(true);
    }
  });

  it("opens what jose's GeneralEncrypt makes, with one recipient (epk in the protected header) and with two", async () => {
    const a = encKey();
    const b = encKey();
    for (const keys of [[a], [a, b]]) {
      const enc = new GeneralEncrypt(INNER).setProtectedHeader({ enc: 'A256GCM' });
      for (const k of keys) enc.addRecipient(createPublicKey({ key: { ...k.jwk }, format: 'jwk' })).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: k.kid });
      const jwe = await enc.encrypt();
      const recipients = keys.map((_, i) => ['cn-isc', 'kr-kisa'][i]!);
      const sealed = checkSealedShape({ recipients, tlp: 'green', innerDigest: createHash('sha256').update(INNER).digest('base64url'), jwe });
      for (const k of keys) expect(openSealed(sealed, { self: 'x', keys: [{ kid: k.kid, privateKey: k.privateKey }] }).equals(INNER)).toBe(true);
    }
  });

  it('refuses a non-recipient key, a digest that does not match and a tampered ciphertext, each with its code', async () => {
    const a = encKey();
    const sealed = checkSealedShape(JSON.parse(JSON.stringify(await sealInner(INNER, new Map([['jp-dekyo', a]]), 'red'))));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isSpamxError(err) ? err.code : String(err);
      }
      return 'none';
    };
    const other = encKey();
    expect(code(() => openSealed(sealed, { self: 'x', keys: [{ kid: other.kid, privateKey: other.privateKey }] }))).toBe('SEALED_UNREADABLE');
    const mine = { self: 'x', keys: [{ kid: a.kid, privateKey: a.privateKey }] };
    expect(code(() => openSealed({ ...sealed, innerDigest: 'A'.repeat(43) }, mine))).toBe('SEALED_DIGEST_MISMATCH');
    const ct = Buffer.from(sealed.jwe.ciphertext, 'base64url');
    ct[0]! ^= 1;
    expect(code(() => openSealed({ ...sealed, jwe: { ...sealed.jwe, ciphertext: ct.toString('base64url') } }, mine))).toBe('SEALED_UNREADABLE');
    // A key wrapped for the kid but by another secret: the unwrap fails its integrity check.
    const wrong = { self: 'x', keys: [{ kid: a.kid, privateKey: other.privateKey }] };
    expect(code(() => openSealed(sealed, wrong))).toBe('SEALED_UNREADABLE');
  });
});

describe('the sealed member and the batch shape', () => {
  const head = { spamx: 1, publisher: 'jp-dekyo', seq: 2, prev: 'A'.repeat(43), issuedAt: '2026-12-07T00:00:00Z' };
  it('a sealed batch carries "sealed" instead of "entries"', async () => {
    const sealed = JSON.parse(JSON.stringify(await sealInner(INNER, new Map([['cn-isc', encKey()]]), 'amber'))) as Record<string, unknown>;
    const payload = checkBatchShape({ ...head, sealed });
    expect(payload.entries).toEqual([]);
    expect(payload.sealed?.recipients).toEqual(['cn-isc']);
    expect(() => checkBatchShape({ ...head, sealed, entries: [] })).toThrow(/not both/);
    expect(() => checkBatchShape({ ...head, sealed: { ...sealed, recipients: ['jp-dekyo', 'cn-isc'] } })).toThrow(/sorted/);
    expect(() => checkBatchShape({ ...head, sealed: { ...sealed, tlp: 'blue' } })).toThrow(/TLP/);
    expect(() => checkBatchShape({ ...head, sealed: { ...sealed, innerDigest: 'x' } })).toThrow(/innerDigest/);
    const jwe = sealed.jwe as Record<string, unknown>;
    expect(() => checkBatchShape({ ...head, sealed: { ...sealed, jwe: { ...jwe, unprotected: {} } } })).toThrow(/not accepted/);
    expect(() => checkBatchShape({ ...head, sealed: { ...sealed, recipients: ['cn-isc', 'kr-kisa'] } })).toThrow(/one recipient per centre/);
  });

  it('recipientsColumn sorts and joins, null for none', () => {
    expect(recipientsColumn(['kr-kisa', 'cn-isc', 'kr-kisa'])).toBe('cn-isc kr-kisa');
    expect(recipientsColumn([])).toBeNull();
  });
});

describe('key statements with an encryption key', () => {
  const key = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
  const base = { spamx: 1, publisher: 'jp-dekyo', statement: 1, prev: null, issuedAt: '2026-12-07T00:00:00Z', fromSeq: 1, keys: [key], previous: [key] };
  it('parses `enc`, recomputes its kid, and round-trips; older statements without it stay valid', () => {
    const e = encKey();
    const p = parseKeyStatementPayload(JSON.stringify({ ...base, enc: { ...e.jwk, use: 'enc' } }));
    expect(p.enc?.kid).toBe(e.kid);
    expect(parseKeyStatementPayload(keyStatementJson(p)).enc).toEqual(p.enc);
    expect(parseKeyStatementPayload(JSON.stringify(base)).enc).toBeUndefined();
    expect(() => parseKeyStatementPayload(JSON.stringify({ ...base, enc: { ...e.jwk, kid: 'A'.repeat(43) } }))).toThrow(/thumbprint/);
    expect(() => parseKeyStatementPayload(JSON.stringify({ ...base, enc: key }))).toThrow(/X25519/);
    expect(() => parseKeyStatementPayload(JSON.stringify({ ...base, enc: { ...e.jwk, d: 'x' } }))).toThrow(/private/);
  });
});
