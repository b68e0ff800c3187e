import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519Sign, ed25519Verify } from '../../src/core/ed25519.js';
import { BATCH_REJECTION_CODES, OTHER_CODES, REFUSAL_CODES, SpamxError, type ErrorCode } from '../../src/core/errors.js';
import { createdAt, parseSignatureHeaders, signatureBase, signRequest, type SignatureHeaders } from '../../src/core/http-signature.js';
import { ed25519Thumbprint } from '../../src/core/jwk-thumbprint.js';
import { SeenSignatures } from '../../src/core/seen-signatures.js';
import { parseDictionary, serializeMember } from '../../src/core/structured-fields.js';
import { httpStatus } from '../../src/serve/error-status.js';
import { verifyRequestSignature, type ReceivedRequest, type SignaturePolicy } from '../../src/verify/verify-request-signature.js';

/**
 * RFC 9421 known answers, copied from the RFC text. The key is test-key-ed25519 of Appendix B.1.4;
 * the message is the test-request of Appendix B.2 (the fields B.2.6 covers); the Signature-Input, Signature and signature
 * base are those of Appendix B.2.6 "Signing a Request Using ed25519", with the RFC 8792 line
 * wrapping of the printed text undone.
 */
const RFC = {
  privateKeyPem: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n',
  request: {
    method: 'POST',
    targetUri: 'https://example.com/foo?param=Value&Pet=dog',
    headers: {
      Host: 'example.com',
      Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'Content-Type': 'application/json',
      'Content-Length': '18',
    },
  },
  signatureInput: 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signature: 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  base: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
};

const CODES = new Set<string>([...BATCH_REJECTION_CODES, ...REFUSAL_CODES, ...OTHER_CODES]);
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const URI = 'https://cn-isc.spamx.test:8443/v1/feeds/jp-jpcert/batches?after=12&limit=500';

interface NodeKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function nodeKey(): NodeKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return { kid: ed25519Thumbprint({ kty: 'OKP', crv: 'Ed25519', x }), privateKey, publicKey };
}

const alice = nodeKey();
const mallory = nodeKey();

function signed(key: NodeKey = alice, over: { method?: string; targetUri?: string; created?: number } = {}): SignatureHeaders {
  return signRequest({ method: over.method ?? 'GET', targetUri: over.targetUri ?? URI, created: over.created ?? createdAt(NOW), kid: key.kid, privateKey: key.privateKey });
}

function policy(over: Partial<SignaturePolicy> = {}): SignaturePolicy {
  const pinned = new Map([[alice.kid, alice.publicKey]]);
  return { keyFor: (kid) => pinned.get(kid), now: NOW + 2000, seen: new SeenSignatures(), ...over };
}

function request(headers: Partial<SignatureHeaders> | undefined, over: Partial<ReceivedRequest> & { targetUri?: string } = {}): ReceivedRequest {
  const { targetUri, ...rest } = over;
  return { method: 'GET', targetUris: [targetUri ?? URI], signatureInput: headers?.signatureInput, signature: headers?.signature, ...rest };
}

/** The code `f` fails with; fails the test if it returns or throws anything but a SpamxError. */
function codeOf(f: () => unknown): ErrorCode {
  try {
    f();
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw err;
  }
  throw new Error('expected a SpamxError');
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('RFC 9421 Appendix B.2.6 (ed25519)', () => {
  const privateKey = createPrivateKey(RFC.privateKeyPem);
  const publicKey = createPublicKey(RFC.publicKeyPem);
  const [received] = parseSignatureHeaders(RFC.signatureInput, RFC.signature);

  it('rebuilds the signature base byte for byte', () => {
    expect(received!.label).toBe('sig-b26');
    expect(signatureBase(RFC.request, received!.input)).toBe(RFC.base);
  });

  it("verifies the RFC's signature over that base", () => {
    expect(ed25519Verify(publicKey, Buffer.from(RFC.base, 'ascii'), received!.signature)).toBe(true);
  });

  it("signing the base with the RFC's key gives the RFC's signature (Ed25519 is deterministic)", () => {
    const sig = ed25519Sign(privateKey, Buffer.from(RFC.base, 'ascii'));
    expect(`sig-b26=${serializeMember({ kind: 'item', value: { type: 'bytes', value: sig }, params: [] })}`).toBe(RFC.signature);
  });

  it('re-serializes the parsed Signature-Input exactly', () => {
    expect(`sig-b26=${serializeMember(received!.input)}`).toBe(RFC.signatureInput);
  });

  it("is refused as a spamx request: it covers other components and names no alg", () => {
    const req = { method: RFC.request.method, targetUris: [RFC.request.targetUri], signatureInput: RFC.signatureInput, signature: RFC.signature };
    const lookup = policy({ keyFor: () => publicKey, now: 1618884473_000 });
    expect(codeOf(() => verifyRequestSignature(req, lookup))).toBe('SIGNATURE_INVALID');
  });

  it('signs a spamx request with the RFC key over the two components', () => {
    const headers = signRequest({ method: 'GET', targetUri: 'https://example.com/v1/feeds/x/batches?after=0', created: 1618884473, kid: 'test-key-ed25519', privateKey });
    expect(headers.signatureInput).toBe('sig1=("@method" "@target-uri");created=1618884473;keyid="test-key-ed25519";alg="ed25519"');
    const [sig] = parseSignatureHeaders(headers.signatureInput, headers.signature);
    const base = signatureBase({ method: 'GET', targetUri: 'https://example.com/v1/feeds/x/batches?after=0' }, sig!.input);
    expect(base).toBe(
      [
        '"@method": GET',
        '"@target-uri": https://example.com/v1/feeds/x/batches?after=0',
        '"@signature-params": ("@method" "@target-uri");created=1618884473;keyid="test-key-ed25519";alg="ed25519"',
      ].join('\n'),
    );
    expect(ed25519Verify(publicKey, Buffer.from(base, 'ascii'), sig!.signature)).toBe(true);
  });
});

describe('signed federation requests', () => {
  it('round-trips with a node key, as a KeyObject or as the private JWK a node keeps', () => {
    const headers = signed();
    expect(headers.signatureInput).toBe(`sig1=("@method" "@target-uri");created=${createdAt(NOW)};keyid="${alice.kid}";alg="ed25519"`);
    expect(headers.signature).toMatch(/^sig1=:[A-Za-z0-9+/]{86}==:$/);
    expect(verifyRequestSignature(request(headers), policy())).toBe(alice.kid);

    const jwk = alice.privateKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; d: string };
    const fromJwk = signRequest({ method: 'GET', targetUri: URI, created: createdAt(NOW), kid: alice.kid, privateKey: jwk });
    expect(fromJwk).toEqual(headers);
  });

  it('accepts a rotated key the lookup still pins, and the same URI written with a default port', () => {
    const rotated = nodeKey();
    const keys = new Map([[alice.kid, alice.publicKey], [rotated.kid, rotated.publicKey]]);
    const headers = signed(rotated, { targetUri: 'https://cn-isc.spamx.test:443/v1/feeds' });
    expect(verifyRequestSignature(request(headers, { targetUri: 'https://cn-isc.spamx.test/v1/feeds' }), policy({ keyFor: (k) => keys.get(k) }))).toBe(rotated.kid);
  });

  it('refuses a request without its headers: SIGNATURE_MISSING (401)', () => {
    const headers = signed();
    expect(codeOf(() => verifyRequestSignature(request(undefined), policy()))).toBe('SIGNATURE_MISSING');
    expect(codeOf(() => verifyRequestSignature(request({ signatureInput: headers.signatureInput }), policy()))).toBe('SIGNATURE_MISSING');
    expect(codeOf(() => verifyRequestSignature(request({ signature: headers.signature }), policy()))).toBe('SIGNATURE_MISSING');
    expect(codeOf(() => verifyRequestSignature(request({ signatureInput: ' ', signature: '' }), policy()))).toBe('SIGNATURE_MISSING');
    expect(messageOf(() => verifyRequestSignature(request({ signatureInput: headers.signatureInput }), policy()))).toMatch(/no Signature header/);
    expect(httpStatus('SIGNATURE_MISSING')).toBe(401);
  });

  it('refuses a signature over another URI or method: SIGNATURE_INVALID (401)', () => {
    const headers = signed();
    for (const over of [
      { targetUri: 'https://cn-isc.spamx.test:8443/v1/feeds/jp-jpcert/batches?after=0&limit=500' },
      { targetUri: 'https://cn-isc.spamx.test:8443/v1/feeds/kr-kisa/batches?after=12&limit=500' },
      { targetUri: 'http://cn-isc.spamx.test:8443/v1/feeds/jp-jpcert/batches?after=12&limit=500' },
      { targetUri: 'https://hk-ofta.spamx.test:8443/v1/feeds/jp-jpcert/batches?after=12&limit=500' },
      { method: 'HEAD' },
      { method: 'get' },
    ]) {
      expect(codeOf(() => verifyRequestSignature(request(headers, over), policy())), JSON.stringify(over)).toBe('SIGNATURE_INVALID');
    }
    expect(messageOf(() => verifyRequestSignature(request(headers, { method: 'POST' }), policy()))).toMatch(/does not verify over this request's method and URI/);
    expect(httpStatus('SIGNATURE_INVALID')).toBe(401);
  });

  it('refuses a signature by another key claiming a pinned kid: SIGNATURE_INVALID', () => {
    const forged = signRequest({ method: 'GET', targetUri: URI, created: createdAt(NOW), kid: alice.kid, privateKey: mallory.privateKey });
    expect(codeOf(() => verifyRequestSignature(request(forged), policy()))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a key that is not pinned: SIGNATURE_KEY_UNKNOWN (403)', () => {
    const err = (() => {
      try {
        verifyRequestSignature(request(signed(mallory)), policy());
      } catch (e) {
        return e as SpamxError;
      }
      throw new Error('accepted');
    })();
    expect(err.code).toBe('SIGNATURE_KEY_UNKNOWN');
    expect(err.message).toContain(mallory.kid);
    expect(err.message).toContain('spamx peer add');
    expect(httpStatus('SIGNATURE_KEY_UNKNOWN')).toBe(403);
  });

  it('accepts created up to 5 minutes old and 60 s ahead, and refuses beyond: SIGNATURE_EXPIRED (401)', () => {
    const created = createdAt(NOW);
    const at = (offsetSeconds: number) => () => verifyRequestSignature(request(signed(alice, { created })), policy({ now: NOW + offsetSeconds * 1000 }));
    expect(at(300)()).toBe(alice.kid);
    expect(codeOf(at(301))).toBe('SIGNATURE_EXPIRED');
    expect(messageOf(at(3600))).toMatch(/3600 s ago, more than the 300 s accepted/);
    expect(at(-60)()).toBe(alice.kid);
    expect(codeOf(at(-61))).toBe('SIGNATURE_EXPIRED');
    expect(messageOf(at(-61))).toMatch(/in the future.*check the requesting node's clock/);
    expect(httpStatus('SIGNATURE_EXPIRED')).toBe(401);
  });

  it('refuses a replay: SIGNATURE_REPLAYED (401), and remembers only signatures that verified', () => {
    const seen = new SeenSignatures();
    const headers = signed();
    expect(codeOf(() => verifyRequestSignature(request(headers, { method: 'POST' }), policy({ seen })))).toBe('SIGNATURE_INVALID');
    expect(seen.size).toBe(0);
    expect(verifyRequestSignature(request(headers), policy({ seen }))).toBe(alice.kid);
    expect(codeOf(() => verifyRequestSignature(request(headers), policy({ seen, now: NOW + 60_000 })))).toBe('SIGNATURE_REPLAYED');
    // The same signature re-encoded (unpadded base64, other whitespace) is the same signature.
    const respelled = { signatureInput: headers.signatureInput.replace('(', '(  '), signature: headers.signature.replace('==:', ':') };
    expect(codeOf(() => verifyRequestSignature(request(respelled), policy({ seen, now: NOW + 60_000 })))).toBe('SIGNATURE_REPLAYED');
    // Once past the accepted age it is refused as expired, and forgotten.
    expect(codeOf(() => verifyRequestSignature(request(headers), policy({ seen, now: NOW + 302_000 })))).toBe('SIGNATURE_EXPIRED');
    expect(verifyRequestSignature(request(signed(alice, { created: createdAt(NOW) + 400 })), policy({ seen, now: NOW + 400_000 }))).toBe(alice.kid);
    expect(seen.size).toBe(1);
    expect(httpStatus('SIGNATURE_REPLAYED')).toBe(401);
  });

  it('refuses other algorithms, components and parameters: SIGNATURE_INVALID', () => {
    const good = signed();
    const sig = good.signature;
    const p = `created=${createdAt(NOW)};keyid="${alice.kid}"`;
    const cases: [string, string, RegExp][] = [
      [`sig1=("@method" "@target-uri");${p};alg="rsa-pss-sha512"`, sig, /alg is "rsa-pss-sha512"/],
      [`sig1=("@method" "@target-uri");${p};alg=ed25519`, sig, /alg is "ed25519"; spamx accepts only/],
      [`sig1=("@method" "@target-uri");${p}`, sig, /alg is missing/],
      [`sig1=("@method");${p};alg="ed25519"`, sig, /covers \("@method"\); a spamx request's signature covers exactly/],
      [`sig1=("@method" "@target-uri" "@authority");${p};alg="ed25519"`, sig, /covers exactly/],
      [`sig1=("@method" "@method");${p};alg="ed25519"`, sig, /covers exactly/],
      [`sig1=("@method";req "@target-uri");${p};alg="ed25519"`, sig, /covers \("@method";req "@target-uri"\)/],
      [`sig1=(@method "@target-uri");${p};alg="ed25519"`, sig, /not an RFC 8941 dictionary: unexpected character "@"/],
      [`sig1=("@method" "@target-uri");${p};alg="ed25519";nonce="abc"`, sig, /parameters nonce/],
      [`sig1=("@method" "@target-uri");keyid="${alice.kid}";alg="ed25519"`, sig, /no created/],
      [`sig1=("@method" "@target-uri");created="${createdAt(NOW)}";keyid="${alice.kid}";alg="ed25519"`, sig, /no created/],
      [`sig1=("@method" "@target-uri");created=${createdAt(NOW)};alg="ed25519"`, sig, /no keyid/],
      [`sig1=("@method" "@target-uri");created=${createdAt(NOW)};keyid=abc;alg="ed25519"`, sig, /no keyid/],
      [`sig1=("@method" "@target-uri");${p};alg="ed25519";created=1`, sig, /"created" appears twice/],
      [good.signatureInput, 'sig1=:AAAA:', /does not verify/],
      [good.signatureInput, 'sig1=abc', /not a byte sequence/],
      [good.signatureInput, `${sig};x=1`, /not a byte sequence/],
      [good.signatureInput, sig.replace('sig1', 'sig2'), /label "sig1" but Signature does not/],
      [`${good.signatureInput}, ${good.signatureInput}`, `${sig}, ${sig}`, /"sig1" appears twice/],
      [`${good.signatureInput}, ${good.signatureInput.replace('sig1', 'sig2')}`, `${sig}, ${sig.replace('sig1', 'sig2')}`, /carries 2 signatures/],
      [`sig1="@method"`, sig, /not an inner list/],
      [`${good.signatureInput},`, sig, /trailing ","/],
      [good.signatureInput.replace('"@method"', '"@méthod"'), sig, /outside ASCII/],
      [`sig1=("@method" "@target-uri");${p};alg="ed25519"`.padEnd(5000, ' '), sig, /longer than 4096/],
    ];
    for (const [signatureInput, signature, why] of cases) {
      const f = () => verifyRequestSignature(request({ signatureInput, signature }), policy());
      expect(codeOf(f), signatureInput).toBe('SIGNATURE_INVALID');
      expect(messageOf(f), signatureInput).toMatch(why);
    }
  });

  it('refuses a target URI or method that cannot be signed as given', () => {
    const sign = (method: string, targetUri: string) => () => signRequest({ method, targetUri, created: 1, kid: alice.kid, privateKey: alice.privateKey });
    expect(codeOf(sign('GET', '/v1/feeds'))).toBe('SIGNATURE_INVALID');
    expect(codeOf(sign('GET', 'https://a.spamx.test/v1/\nfeeds'))).toBe('SIGNATURE_INVALID');
    expect(codeOf(sign('GET /', URI))).toBe('SIGNATURE_INVALID');
    const headers = signed();
    expect(codeOf(() => verifyRequestSignature(request(headers, { targetUri: `${URI}\t` }), policy()))).toBe('SIGNATURE_INVALID');
  });

  it('verifies over any of the names this node is reached at, and over no other', () => {
    const headers = signed();
    const other = 'https://jp-dekyo.example.net/spamx/v1/feeds/jp-dekyo/batches?after=0';
    expect(verifyRequestSignature(request(headers, { targetUris: [other, URI] }), policy())).toBe(alice.kid);
    expect(codeOf(() => verifyRequestSignature(request(headers, { targetUris: [other] }), policy()))).toBe('SIGNATURE_INVALID');
  });

  it('answers any header strings with a verified kid or a coded error, never another throw', () => {
    const good = signed();
    const unit = fc.oneof(
      fc.constantFrom(' ', '\t', ',', ';', '=', '(', ')', '"', ':', '?', '*', '\\', '@', 'sig1', '@method', '@target-uri', 'created', 'keyid', 'alg', 'ed25519', '0', '1', '-', '.', 'a', 'Z', '+', '/', '\u0000', '\u00e9'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const header = fc.oneof(
      fc.string({ unit, maxLength: 60 }),
      // A valid header with one character replaced, inserted or removed.
      fc.tuple(fc.constantFrom(good.signatureInput, good.signature), fc.nat(), fc.constantFrom('replace', 'insert', 'remove'), unit).map(([text, at, how, c]) => {
        const i = at % (text.length + 1);
        return how === 'insert' ? text.slice(0, i) + c + text.slice(i) : text.slice(0, i) + (how === 'replace' ? c : '') + text.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(fc.option(header, { nil: undefined }), fc.option(header, { nil: undefined }), (signatureInput, signature) => {
        try {
          expect(verifyRequestSignature(request({ signatureInput, signature }), policy())).toBe(alice.kid);
        } catch (err) {
          if (!(err instanceof SpamxError) || !CODES.has(err.code)) throw new Error(`threw ${String(err)} (not a coded SpamxError)`, { cause: err });
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RFC 8941 dictionaries', () => {
  it('parses the items signature headers use, and re-serializes them canonically', () => {
    const dict = parseDictionary('a=1, b=-2.5;x, c="q\\"\\\\", d=tok/x:y, e=:AQID:, f=?0, g, h=( 1  "x" );p=*t');
    expect([...dict.keys()]).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect([...dict].map(([k, v]) => `${k}=${serializeMember(v)}`).join(', ')).toBe('a=1, b=-2.5;x, c="q\\"\\\\", d=tok/x:y, e=:AQID:, f=?0, g=?1, h=(1 "x");p=*t');
  });

  it('refuses what RFC 8941 §4.2 refuses', () => {
    for (const bad of ['A=1', 'a=1,', 'a=1 b=2', 'a="x', 'a="\\n"', 'a=1234567890123456', 'a=1.2345', 'a=1.', 'a=:ab!:', 'a=?2', 'a=(1', 'a=(1)x', 'a=#', 'a=', 'a=\u00ff']) {
      expect(() => parseDictionary(bad), bad).toThrow();
    }
  });
});

describe('SeenSignatures', () => {
  const sig = (n: number) => Buffer.alloc(64, n);

  it('keeps each signature until its time, and at most its capacity', () => {
    const seen = new SeenSignatures(2);
    expect(seen.remember(sig(1), 1000, 0)).toBe(true);
    expect(seen.remember(sig(1), 1000, 999)).toBe(false);
    expect(seen.remember(sig(2), 2000, 999)).toBe(true);
    expect(seen.remember(sig(1), 3000, 1000)).toBe(true); // sig(1) had expired and was pruned
    expect(seen.size).toBe(2);
    expect(seen.remember(sig(3), 3000, 1000)).toBe(true); // full: sig(2), the oldest, is dropped
    expect(seen.size).toBe(2);
    expect(seen.remember(sig(2), 3000, 1000)).toBe(true);
    expect(() => new SeenSignatures(0)).toThrow(RangeError);
  });
});
