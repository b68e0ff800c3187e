import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, toBase64Url } from '../../src/core/leaf-hash.js';

const JWS = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImFiYyIsInR5cCI6InNwYW14LWJhdGNoK2p3cyJ9.eyJzcGFteCI6MX0.c2lnbmF0dXJl';

describe('leafHash', () => {
  it('is SHA-256 of 0x00 followed by the ASCII bytes of the JWS', () => {
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(JWS, 'ascii')])).digest();
    expect(leafHash(JWS).equals(expected)).toBe(true);
    expect(leafHash(JWS)).toHaveLength(32);
  });

  it('differs from the plain SHA-256 of the JWS (domain separation from node hashes)', () => {
    expect(leafHash(JWS).equals(createHash('sha256').update(JWS).digest())).toBe(false);
  });

  it('matches the RFC 6962 known answers for the empty leaf and the leaf 0x00', () => {
    // transparency-dev/merkle testonly: leaf hashes of inputs "" and "00".
    expect(leafHash('').toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(leafHash('\u0000').toString('hex')).toBe('96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7');
  });

  it('changes with any change to the JWS', () => {
    expect(leafHash(JWS).equals(leafHash(`${JWS.slice(0, -1)}k`))).toBe(false);
  });
});

describe('toBase64Url', () => {
  it('writes unpadded base64url', () => {
    expect(toBase64Url(Uint8Array.of(0xfb, 0xff, 0xfe))).toBe('-__-');
    expect(toBase64Url(Uint8Array.of(0xff))).toBe('_w');
    expect(toBase64Url(new Uint8Array(0))).toBe('');
    const h = toBase64Url(leafHash(JWS));
    expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(h, 'base64url').equals(leafHash(JWS))).toBe(true);
  });

  it('respects the view of a Uint8Array into a larger buffer', () => {
    const backing = Uint8Array.of(1, 2, 0xfb, 0xff, 0xfe, 3);
    expect(toBase64Url(backing.subarray(2, 5))).toBe('-__-');
  });
});
