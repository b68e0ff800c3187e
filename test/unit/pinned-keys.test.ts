import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { jwkThumbprint, pinKeys, toPublicJwk } from '../../src/verify/pinned-keys.js';
import { rejectedCode, thrownCode } from './fixtures.js';
import { makeKey } from './signing.js';

// RFC 8037 Appendix A.2/A.3: an Ed25519 public key and its RFC 7638 thumbprint.
const RFC8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const RFC8037_KID = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

describe('jwkThumbprint', () => {
  it('matches the RFC 8037 known answer', async () => {
    expect(await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X })).toBe(RFC8037_KID);
  });

  it('is the SHA-256 of the members in lexicographic order without whitespace (RFC 7638 §3)', async () => {
    const key = await makeKey();
    const x = key.publicJwk.x!;
    const expected = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
    expect(await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })).toBe(expected);
  });
});

describe('pinKeys', () => {
  it('pins Ed25519 keys under their recomputed thumbprints, keeping only kty, crv and x', async () => {
    const [a, b] = [await makeKey(), await makeKey()];
    const keys = await pinKeys({ keys: [{ ...a.publicJwk, alg: 'EdDSA', use: 'sig' }, { ...b.publicJwk, kid: b.kid }] }, 'test');
    expect([...keys.keys()]).toEqual([a.kid, b.kid]);
    expect(keys.get(a.kid)?.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: a.publicJwk.x });
    expect(keys.get(a.kid)?.kid).toBe(a.kid);
    expect(keys.get(a.kid)?.keyObject.asymmetricKeyType).toBe('ed25519');
    expect(keys.get(a.kid)?.keyObject.type).toBe('public');
  });

  it('pins the RFC 8037 key under its known thumbprint', async () => {
    const keys = await pinKeys({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, kid: RFC8037_KID }] }, 'test');
    expect([...keys.keys()]).toEqual([RFC8037_KID]);
  });

  it('refuses a kid that is not the thumbprint', async () => {
    const [a, b] = [await makeKey(), await makeKey()];
    expect(await rejectedCode(pinKeys({ keys: [{ ...a.publicJwk, kid: b.kid }] }, 'test'))).toBe('PEER_INVALID');
    expect(await rejectedCode(pinKeys({ keys: [{ ...a.publicJwk, kid: 'jp-dekyo-2026' }] }, 'test'))).toBe('PEER_INVALID');
    expect(await rejectedCode(pinKeys({ keys: [{ ...a.publicJwk, kid: a.kid.toUpperCase() }] }, 'test'))).toBe('PEER_INVALID');
  });

  it('refuses a private key offered as a public key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const privateJwk = await exportJWK(privateKey);
    expect(privateJwk.d).toBeDefined();
    expect(await rejectedCode(pinKeys({ keys: [privateJwk] }, 'test'))).toBe('PEER_INVALID');
  });

  it('refuses keys that are not OKP/Ed25519', async () => {
    const ec = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey);
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const x25519 = await exportJWK((await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true })).publicKey);
    const ed448ish = { kty: 'OKP', crv: 'Ed448', x: RFC8037_X };
    const oct = { kty: 'oct', k: RFC8037_X };
    for (const jwk of [ec, rsa, x25519, ed448ish, oct]) {
      expect(await rejectedCode(pinKeys({ keys: [jwk] }, 'test'))).toBe('PEER_INVALID');
    }
  });

  it('refuses a malformed x', async () => {
    for (const x of [undefined, 42, RFC8037_X.slice(1), `${RFC8037_X}=`, RFC8037_X.replace('_', '/'), `${RFC8037_X}AAAA`]) {
      expect(await rejectedCode(pinKeys({ keys: [{ kty: 'OKP', crv: 'Ed25519', x }] }, 'test'))).toBe('PEER_INVALID');
    }
  });

  it('refuses a JWKS without keys, and refuses all of it when one key is bad', async () => {
    const good = await makeKey();
    for (const jwks of [null, {}, { keys: [] }, { keys: 'x' }, [good.publicJwk], { keys: [good.publicJwk, null] }, { keys: [good.publicJwk, { kty: 'EC' }] }]) {
      expect(await rejectedCode(pinKeys(jwks, 'test'))).toBe('PEER_INVALID');
    }
  });
});

describe('toPublicJwk', () => {
  it('returns only the canonical members and names where the key came from in errors', () => {
    expect(toPublicJwk({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, use: 'sig', alg: 'EdDSA' }, 'peer cn-isc')).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: RFC8037_X,
    });
    expect(thrownCode(() => toPublicJwk('key', 'peer cn-isc'))).toBe('PEER_INVALID');
    expect(() => toPublicJwk({ kty: 'EC' }, 'peer cn-isc')).toThrow(/peer cn-isc/);
  });
});
