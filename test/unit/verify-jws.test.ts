import { beforeAll, describe, expect, it } from 'vitest';
import { CompactSign, compactVerify } from 'jose';
import { MAX_JWS_BYTES } from '../../src/core/batch.js';
import { verifyCompactJws } from '../../src/verify/verify-jws.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { thrownCode } from './fixtures.js';
import { batchPayload, header, makeKey, pinned, rawJws, signedBatch, type TestKey } from './signing.js';

const TYP = 'spamx-batch+jws';
const PAYLOAD = JSON.stringify(batchPayload(1, null));
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let key: TestKey;
let stranger: TestKey;
let keys: PinnedKeySet;
let good: string;

beforeAll(async () => {
  key = await makeKey();
  stranger = await makeKey();
  keys = await pinned(key);
  good = await signedBatch(1, null, key);
});

const codeOf = (jws: string): string => thrownCode(() => verifyCompactJws(jws, keys, TYP));
const parts = (jws: string): [string, string, string] => jws.split('.') as [string, string, string];
const b64u = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

/** Replaces the character at `i` with a different character of the base64url alphabet. */
function flipChar(text: string, i: number): string {
  const c = text[i]!;
  const other = ALPHABET[(ALPHABET.indexOf(c) + 32) % 64]!;
  return text.slice(0, i) + other + text.slice(i + 1);
}

describe('verifyCompactJws: the happy path', () => {
  it('returns the kid, the pinned key and the payload text of a batch jose signed', () => {
    const v = verifyCompactJws(good, keys, TYP);
    expect(v.kid).toBe(key.kid);
    expect(v.key).toBe(keys.get(key.kid));
    expect(v.payloadText).toBe(PAYLOAD);
  });

  it('accepts a hand-built JWS and agrees with jose compactVerify', async () => {
    const jws = rawJws(header(key), PAYLOAD, key);
    expect(verifyCompactJws(jws, keys, TYP).payloadText).toBe(PAYLOAD);
    const { payload } = await compactVerify(jws, key.publicKey);
    expect(new TextDecoder().decode(payload)).toBe(PAYLOAD);
  });

  it('finds the signing key among several pinned keys', async () => {
    const both = await pinned(stranger, key);
    expect(verifyCompactJws(good, both, TYP).kid).toBe(key.kid);
  });

  it('decodes a UTF-8 payload', () => {
    const text = JSON.stringify({ note: '迷惑メール相談センター' });
    expect(verifyCompactJws(rawJws(header(key), text, key), keys, TYP).payloadText).toBe(text);
  });
});

describe('verifyCompactJws: structure', () => {
  it.each([
    ['empty', () => ''],
    ['one part', () => parts(good)[0]],
    ['two parts', () => parts(good).slice(0, 2).join('.')],
    ['four parts', () => `${good}.`],
    ['four parts with content', () => `${good}.${parts(good)[2]}`],
    ['JSON serialization', () => JSON.stringify({ protected: parts(good)[0], payload: parts(good)[1], signature: parts(good)[2] })],
  ])('refuses %s as JWS_MALFORMED', (_what, make) => {
    expect(codeOf(make())).toBe('JWS_MALFORMED');
  });

  it('refuses padded base64 in any part as JWS_MALFORMED', () => {
    const [h, p, s] = parts(good);
    const pad = (x: string): string => x + '='.repeat((4 - (x.length % 4)) % 4 || 2);
    expect(codeOf(`${pad(h)}.${p}.${s}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${pad(p)}.${s}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${p}.${pad(s)}`)).toBe('JWS_MALFORMED');
  });

  it('refuses whitespace or other characters outside base64url as JWS_MALFORMED', () => {
    const [h, p, s] = parts(good);
    const insert = (x: string, c: string): string => `${x.slice(0, 10)}${c}${x.slice(10)}`;
    expect(codeOf(`${insert(h, ' ')}.${p}.${s}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${insert(p, ' ')}.${s}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${p}.${insert(s, '\n')}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${p}.${insert(s, '*')}`)).toBe('JWS_MALFORMED');
    expect(codeOf(`${h}.${p}.${s}\n`)).toBe('JWS_MALFORMED');
    expect(codeOf(` ${good}`)).toBe('JWS_MALFORMED');
  });

  it('refuses a part of impossible length (4n+1 characters) as JWS_MALFORMED', () => {
    const [h, p, s] = parts(good);
    let long = s;
    while (long.length % 4 !== 1) long += 'A';
    expect(codeOf(`${h}.${p}.${long}`)).toBe('JWS_MALFORMED');
  });

  it('refuses a signature re-encoded in the standard base64 alphabet (one signature, one encoding)', async () => {
    // Otherwise a mirror could alter a batch's bytes, and so its leaf hash, without the key.
    let jws = good;
    for (let seq = 2; !/[-_]/.test(parts(jws)[2]); seq++) jws = await signedBatch(seq, null, key);
    const [h, p, s] = parts(jws);
    expect(() => verifyCompactJws(jws, keys, TYP)).not.toThrow();
    expect(codeOf(`${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`)).toBe('JWS_MALFORMED');
  });

  it('refuses a signature whose last character has unused bits set', () => {
    const [h, p, s] = parts(good);
    expect(s).toHaveLength(86); // 64 bytes: the last character carries 2 bits and 4 unused ones
    const last = ALPHABET.indexOf(s.at(-1)!);
    expect(last & 0x0f).toBe(0);
    const mutated = `${h}.${p}.${s.slice(0, -1)}${ALPHABET[last | 0x01]}`;
    expect(Buffer.from(mutated.split('.')[2]!, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(codeOf(mutated)).toBe('JWS_MALFORMED');
  });

  it('refuses a JWS over the size limit as JWS_TOO_LARGE before parsing it', () => {
    expect(codeOf('A'.repeat(MAX_JWS_BYTES + 1))).toBe('JWS_TOO_LARGE');
  });
});

describe('verifyCompactJws: header', () => {
  it.each([
    ['not JSON', 'alg=EdDSA'],
    ['a JSON array', '["EdDSA"]'],
    ['a JSON string', '"EdDSA"'],
    ['JSON null', 'null'],
  ])('refuses a header that is %s as JWS_BAD_HEADER', (_what, text) => {
    expect(codeOf(rawJws(text, PAYLOAD, key))).toBe('JWS_BAD_HEADER');
  });

  it('refuses a header that is not UTF-8 as JWS_BAD_HEADER', () => {
    const h = b64u(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(codeOf(`${h}.${b64u(PAYLOAD)}.${parts(good)[2]}`)).toBe('JWS_BAD_HEADER');
  });

  it('refuses duplicate header names as JWS_BAD_HEADER, even when the last one would pass', () => {
    const dupAlg = `{"alg":"none","alg":"EdDSA","kid":"${key.kid}","typ":"${TYP}"}`;
    const dupKid = `{"alg":"EdDSA","kid":"${stranger.kid}","kid":"${key.kid}","typ":"${TYP}"}`;
    const escaped = `{"alg":"EdDSA","kid":"${key.kid}","typ":"${TYP}","\\u0074yp":"${TYP}"}`;
    expect(codeOf(rawJws(dupAlg, PAYLOAD, key))).toBe('JWS_BAD_HEADER');
    expect(codeOf(rawJws(dupKid, PAYLOAD, key))).toBe('JWS_BAD_HEADER');
    expect(codeOf(rawJws(escaped, PAYLOAD, key))).toBe('JWS_BAD_HEADER');
  });

  it('refuses alg none with an empty signature as JWS_ALG_NONE', () => {
    const h = b64u(JSON.stringify({ alg: 'none', kid: key.kid, typ: TYP }));
    expect(codeOf(`${h}.${b64u(PAYLOAD)}.`)).toBe('JWS_ALG_NONE');
    const upper = b64u(JSON.stringify({ alg: 'None', kid: key.kid, typ: TYP }));
    expect(codeOf(`${upper}.${b64u(PAYLOAD)}.`)).toBe('JWS_ALG_NONE');
  });

  it('refuses HS256 keyed with the public key bytes as JWS_ALG_NOT_ALLOWED', async () => {
    for (const secret of [Buffer.from(key.publicJwk.x!, 'base64url'), new TextEncoder().encode(key.publicJwk.x!)]) {
      const jws = await new CompactSign(new TextEncoder().encode(PAYLOAD))
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: TYP })
        .sign(new Uint8Array(secret));
      expect(codeOf(jws)).toBe('JWS_ALG_NOT_ALLOWED');
    }
  });

  it.each([['ES256'], ['RS256'], ['Ed25519'], ['eddsa'], [''], [null], [undefined]])('refuses alg %j as JWS_ALG_NOT_ALLOWED', (alg) => {
    expect(codeOf(rawJws(header(key, { alg }), PAYLOAD, key))).toBe('JWS_ALG_NOT_ALLOWED');
  });

  it.each([['JWT'], ['JOSE'], ['spamx-batch'], ['application/spamx-batch+jws+x'], [undefined], [1]])('refuses typ %j as JWS_BAD_TYP', (typ) => {
    expect(codeOf(rawJws(header(key, { typ }), PAYLOAD, key))).toBe('JWS_BAD_TYP');
  });

  it('checks typ against the type the caller expects', () => {
    expect(thrownCode(() => verifyCompactJws(good, keys, 'spamx-checkpoint+jws'))).toBe('JWS_BAD_TYP');
  });

  it('refuses any crit as JWS_UNKNOWN_CRIT', () => {
    expect(codeOf(rawJws(header(key, { crit: ['exp'], exp: 1 }), PAYLOAD, key))).toBe('JWS_UNKNOWN_CRIT');
    expect(codeOf(rawJws(header(key, { crit: ['b64'], b64: true }), PAYLOAD, key))).toBe('JWS_UNKNOWN_CRIT');
    expect(codeOf(rawJws(header(key, { crit: [] }), PAYLOAD, key))).toBe('JWS_UNKNOWN_CRIT');
  });

  it('refuses embedded or referenced keys as JWS_EMBEDDED_KEY, even the pinned key itself', () => {
    expect(codeOf(rawJws(header(key, { jwk: key.publicJwk }), PAYLOAD, key))).toBe('JWS_EMBEDDED_KEY');
    expect(codeOf(rawJws(header(stranger, { jwk: stranger.publicJwk }), PAYLOAD, stranger))).toBe('JWS_EMBEDDED_KEY');
    expect(codeOf(rawJws(header(key, { jku: 'https://example.net/keys.json' }), PAYLOAD, key))).toBe('JWS_EMBEDDED_KEY');
    expect(codeOf(rawJws(header(key, { x5u: 'https://example.net/cert.pem' }), PAYLOAD, key))).toBe('JWS_EMBEDDED_KEY');
    expect(codeOf(rawJws(header(key, { x5c: ['MIIB'] }), PAYLOAD, key))).toBe('JWS_EMBEDDED_KEY');
  });
});

describe('verifyCompactJws: key and signature', () => {
  it('refuses a batch signed by a key that is not pinned as JWS_UNKNOWN_KID', async () => {
    expect(codeOf(await signedBatch(1, null, stranger))).toBe('JWS_UNKNOWN_KID');
  });

  it('refuses a missing or non-string kid as JWS_UNKNOWN_KID', () => {
    expect(codeOf(rawJws({ alg: 'EdDSA', typ: TYP }, PAYLOAD, key))).toBe('JWS_UNKNOWN_KID');
    expect(codeOf(rawJws(header(key, { kid: [key.kid] }), PAYLOAD, key))).toBe('JWS_UNKNOWN_KID');
  });

  it('refuses a flipped signature character as JWS_BAD_SIGNATURE', () => {
    const [h, p, s] = parts(good);
    for (const i of [0, 20, 43, 84]) expect(codeOf(`${h}.${p}.${flipChar(s, i)}`)).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses an altered payload or header under the original signature as JWS_BAD_SIGNATURE', () => {
    const [h, p, s] = parts(good);
    const other = b64u(PAYLOAD.replace('61.4.12.7', '61.4.12.8'));
    expect(codeOf(`${h}.${other}.${s}`)).toBe('JWS_BAD_SIGNATURE');
    const h2 = b64u(JSON.stringify({ kid: key.kid, alg: 'EdDSA', typ: TYP }));
    expect(codeOf(`${h2}.${p}.${s}`)).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses a signature made by another key under the pinned kid as JWS_BAD_SIGNATURE', () => {
    expect(codeOf(rawJws(header(key), PAYLOAD, stranger))).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses a signature of the wrong length as JWS_BAD_SIGNATURE', () => {
    const [h, p, s] = parts(good);
    expect(codeOf(`${h}.${p}.${s.slice(0, 84)}`)).toBe('JWS_BAD_SIGNATURE');
    expect(codeOf(`${h}.${p}.`)).toBe('JWS_BAD_SIGNATURE');
    expect(codeOf(`${h}.${p}.${s}AAAA`)).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses a signed payload that is not UTF-8 as BATCH_INVALID_JSON', () => {
    expect(codeOf(rawJws(header(key), Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d), key))).toBe('BATCH_INVALID_JSON');
  });
});
