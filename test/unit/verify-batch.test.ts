import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedHead } from '../../src/core/feed-head.js';
import { verifyBatch, type BatchContext } from '../../src/verify/verify-batch.js';
import type { PinnedKeySet } from '../../src/verify/pinned-keys.js';
import { signBatch } from '../../src/ingest/sign-batch.js';
import { T0, thrownCode } from './fixtures.js';
import { batchPayload, header, leafHashOf, makeKey, pinned, rawJws, signedBatch, type TestKey } from './signing.js';

let key: TestKey;
let other: TestKey;
let keys: PinnedKeySet;
let first: string;
let second: string;

const START: FeedHead = { size: 0, head: null };
const ctx = (head: FeedHead, publisher = 'jp-dekyo'): BatchContext => ({ publisher, keys, head });
const codeOf = (jws: string, head: FeedHead = START, publisher = 'jp-dekyo'): string => thrownCode(() => verifyBatch(jws, ctx(head, publisher)));
const afterFirst = (): FeedHead => ({ size: 1, head: leafHashOf(first) });

beforeAll(async () => {
  key = await makeKey();
  other = await makeKey();
  keys = await pinned(key);
  first = await signedBatch(1, null, key);
  second = await signedBatch(2, leafHashOf(first), key);
});

describe('verifyBatch: a feed that chains', () => {
  it('accepts seq 1 with prev null on an empty feed', () => {
    const v = verifyBatch(first, ctx(START));
    expect(v.publisher).toBe('jp-dekyo');
    expect(v.seq).toBe(1);
    expect(v.jws).toBe(first);
    expect(v.kid).toBe(key.kid);
    expect(v.issuedAt).toBe(T0 + 60_000);
    expect(v.payload).toEqual(batchPayload(1, null));
    const expected = createHash('sha256').update(Buffer.concat([Buffer.of(0), Buffer.from(first, 'ascii')])).digest('base64url');
    expect(v.leafHash).toBe(expected);
  });

  it('accepts seq 2 whose prev is the base64url leaf hash of seq 1', () => {
    const v = verifyBatch(second, ctx(afterFirst()));
    expect(v.seq).toBe(2);
    expect(v.payload.prev).toBe(verifyBatch(first, ctx(START)).leafHash);
    expect(v.leafHash).not.toBe(afterFirst().head);
  });

  it('keeps going: seq 3 chains to seq 2', async () => {
    const third = await signedBatch(3, leafHashOf(second), key);
    expect(verifyBatch(third, ctx({ size: 2, head: leafHashOf(second) })).seq).toBe(3);
  });

  it('accepts a batch signed with any pinned key of the publisher (key rotation)', async () => {
    const both = await pinned(key, other);
    const rotated = await signedBatch(2, leafHashOf(first), other);
    expect(verifyBatch(rotated, { publisher: 'jp-dekyo', keys: both, head: afterFirst() }).kid).toBe(other.kid);
  });

  it('leaves entries for local policy: a signed batch with a bad entry is still authentic', async () => {
    const payload = { ...batchPayload(1, null), entries: [{ op: 'list', prefix: '192.0.2.1' }, 'junk'] };
    const v = verifyBatch(await signBatch(payload, key), ctx(START));
    expect(v.payload.entries).toHaveLength(2);
  });
});

describe('verifyBatch: its place in the feed', () => {
  it('refuses a batch naming another publisher as BATCH_WRONG_PUBLISHER', async () => {
    const foreign = await signedBatch(1, null, key, 'cn-isc');
    expect(codeOf(foreign)).toBe('BATCH_WRONG_PUBLISHER');
    expect(codeOf(first, START, 'cn-isc')).toBe('BATCH_WRONG_PUBLISHER');
  });

  it('refuses a gap in seq as BATCH_SEQ_GAP', () => {
    expect(codeOf(second)).toBe('BATCH_SEQ_GAP');
    expect(codeOf(first, { size: 5, head: leafHashOf(first) })).toBe('BATCH_SEQ_GAP');
  });

  it('refuses a replay of a batch already in the feed as BATCH_SEQ_GAP', () => {
    expect(codeOf(first, afterFirst())).toBe('BATCH_SEQ_GAP');
  });

  it('carries the seq of a rejected batch', () => {
    try {
      verifyBatch(second, ctx(START));
      expect.unreachable();
    } catch (err) {
      expect((err as { details?: unknown }).details).toEqual({ seq: 2 });
    }
  });

  it('refuses a broken prev as BATCH_PREV_MISMATCH', async () => {
    expect(codeOf(second, { size: 1, head: leafHashOf(second) })).toBe('BATCH_PREV_MISMATCH');
    const nullPrev = await signedBatch(2, null, key);
    expect(codeOf(nullPrev, afterFirst())).toBe('BATCH_PREV_MISMATCH');
    const plainHash = createHash('sha256').update(first).digest('base64url');
    expect(codeOf(await signedBatch(2, plainHash, key), afterFirst())).toBe('BATCH_PREV_MISMATCH');
  });

  it('refuses seq 1 with a prev as BATCH_PREV_MISMATCH', async () => {
    expect(codeOf(await signedBatch(1, leafHashOf(first), key))).toBe('BATCH_PREV_MISMATCH');
  });
});

describe('verifyBatch: the payload', () => {
  it('refuses duplicate member names as BATCH_DUPLICATE_KEY', () => {
    const text = JSON.stringify(batchPayload(1, null)).replace('"seq":1,', '"seq":1,"seq":1,');
    expect(codeOf(rawJws(header(key), text, key))).toBe('BATCH_DUPLICATE_KEY');
    const inEntry = JSON.stringify(batchPayload(1, null)).replace('"op":"delist",', '"op":"delist","op":"list",');
    expect(codeOf(rawJws(header(key), inEntry, key))).toBe('BATCH_DUPLICATE_KEY');
    const escaped = JSON.stringify(batchPayload(1, null)).replace('"seq":1,', '"seq":1,"s\\u0065q":1,');
    expect(codeOf(rawJws(header(key), escaped, key))).toBe('BATCH_DUPLICATE_KEY');
  });

  it('refuses a payload that is not JSON as BATCH_INVALID_JSON', () => {
    expect(codeOf(rawJws(header(key), 'spamx batch 1', key))).toBe('BATCH_INVALID_JSON');
    expect(codeOf(rawJws(header(key), '', key))).toBe('BATCH_INVALID_JSON');
    expect(codeOf(rawJws(header(key), JSON.stringify(batchPayload(1, null)).slice(0, -1), key))).toBe('BATCH_INVALID_JSON');
  });

  it('refuses a payload without entries as BATCH_BAD_SHAPE', () => {
    const { entries: _omit, ...noEntries } = batchPayload(1, null);
    expect(codeOf(rawJws(header(key), JSON.stringify(noEntries), key))).toBe('BATCH_BAD_SHAPE');
    expect(codeOf(rawJws(header(key), JSON.stringify({ ...batchPayload(1, null), spamx: 2 }), key))).toBe('BATCH_BAD_SHAPE');
    expect(codeOf(rawJws(header(key), '[]', key))).toBe('BATCH_BAD_SHAPE');
  });
});

describe('verifyBatch: the JWS', () => {
  it('refuses a flipped signature character as JWS_BAD_SIGNATURE', () => {
    const [h, p, s] = first.split('.') as [string, string, string];
    const flipped = s[10] === 'A' ? 'B' : 'A';
    expect(codeOf(`${h}.${p}.${s.slice(0, 10)}${flipped}${s.slice(11)}`)).toBe('JWS_BAD_SIGNATURE');
  });

  it('refuses a batch signed by an unpinned key as JWS_UNKNOWN_KID', async () => {
    expect(codeOf(await signedBatch(1, null, other))).toBe('JWS_UNKNOWN_KID');
  });

  it('refuses header tricks with their own codes', () => {
    const text = JSON.stringify(batchPayload(1, null));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'spamx-batch+jws' })).toString('base64url')}.${Buffer.from(text).toString('base64url')}.`;
    expect(codeOf(none)).toBe('JWS_ALG_NONE');
    expect(codeOf(rawJws(header(key, { typ: 'JWT' }), text, key))).toBe('JWS_BAD_TYP');
    expect(codeOf(rawJws(header(key, { crit: ['exp'], exp: 1 }), text, key))).toBe('JWS_UNKNOWN_CRIT');
    expect(codeOf(rawJws(header(key, { jwk: key.publicJwk }), text, key))).toBe('JWS_EMBEDDED_KEY');
    expect(codeOf(rawJws(`{"alg":"EdDSA","kid":"${key.kid}","typ":"spamx-batch+jws","typ":"spamx-batch+jws"}`, text, key))).toBe('JWS_BAD_HEADER');
    expect(codeOf(first.split('.').slice(0, 2).join('.'))).toBe('JWS_MALFORMED');
  });

  it('checks the signature before the payload: a forged payload fails on its signature, not its shape', () => {
    const [h, , s] = first.split('.') as [string, string, string];
    expect(codeOf(`${h}.${Buffer.from('not json').toString('base64url')}.${s}`)).toBe('JWS_BAD_SIGNATURE');
  });
});
