import { beforeAll, describe, expect, it } from 'vitest';
import { SpamxError } from '../../src/core/errors.js';
import { leafInput } from '../../src/core/leaf-hash.js';
import { checkCompactJws, checkCompactJwsBytes } from '../../src/verify/verify-jws.js';
import { signRaw, testKey } from '../helpers/fake-peer.js';

const TYP = 'spamx-batch+jws';

/** What a check says: its error code, or what it found. */
function verdict(check: () => ReturnType<typeof checkCompactJws>): unknown {
  try {
    const { kid, leafInput: leaf, signingInput, signature, payloadBytes } = check();
    return { kid, leaf: leaf.toString('hex'), signingInput: signingInput.toString('hex'), signature: signature.toString('hex'), payload: payloadBytes.toString('hex') };
  } catch (err) {
    if (err instanceof SpamxError) return err.code;
    throw err;
  }
}

/** Replaces the character at `at` of a JWS part (0 header, 1 payload, 2 signature). */
function withChar(jws: string, part: number, at: number, char: string): string {
  const parts = jws.split('.');
  const p = parts[part]!;
  const i = at < 0 ? p.length + at : at;
  parts[part] = p.slice(0, i) + char + p.slice(i + 1);
  return parts.join('.');
}

describe('checkCompactJwsBytes gives checkCompactJws verdicts for the JWS as 0x00 ‖ its bytes', () => {
  let small: string;
  let large: string; // a payload of several 64 KiB slices
  beforeAll(async () => {
    const key = await testKey();
    small = await signRaw(key, '{"spamx":1,"entries":[]}');
    large = await signRaw(key, JSON.stringify({ spamx: 1, entries: Array.from({ length: 4000 }, (_, i) => ({ op: "list", prefix: `61.4.${i >> 8}.${i & 255}/32` })) }));
    expect(large.split('.')[1]!.length).toBeGreaterThan(3 * 64 * 1024);
  });

  const cases: [string, (s: string, l: string) => string][] = [
    ['a valid small JWS', (s) => s],
    ['a valid JWS with a payload of several slices', (_s, l) => l],
    ['a + in the payload', (s) => withChar(s, 1, 3, '+')],
    ['a / in the signature', (s) => withChar(s, 2, 5, '/')],
    ['padding in the payload', (s) => withChar(s, 1, -1, '=')],
    ['a space in the header', (s) => withChar(s, 0, 2, ' ')],
    ['a Latin-1 letter in the payload', (s) => withChar(s, 1, 4, 'é')],
    ['a bad character in the first slice of a large payload', (_s, l) => withChar(l, 1, 10, '*')],
    ['a bad character at the end of the first slice', (_s, l) => withChar(l, 1, 64 * 1024 - 1, '*')],
    ['a bad character at the start of the second slice', (_s, l) => withChar(l, 1, 64 * 1024, '*')],
    ['a bad character in the last slice', (_s, l) => withChar(l, 1, -2, '*')],
    ['a + deep in a large payload', (_s, l) => withChar(l, 1, 150_000, '+')],
    ['a non-canonical last character of the signature', (s) => withChar(s, 2, -1, 'B')],
    ['a payload one character short of a group', (s) => s.replace(/\.([^.]*)\./, (_m, p: string) => `.${p}${'A'.repeat((5 - (p.length % 4)) % 4)}.`)],
    ['two parts', (s) => s.split('.').slice(0, 2).join('.')],
    ['four parts', (s) => `${s}.x`],
    ['an empty payload', (s) => s.replace(/\.[^.]*\./, '..')],
    ['a header that is not JSON', (s) => `${Buffer.from('not json').toString('base64url')}${s.slice(s.indexOf('.'))}`],
    ['alg none', (s) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: TYP })).toString('base64url')}${s.slice(s.indexOf('.'))}`],
  ];

  it.each(cases)('%s', (_what, make) => {
    const jws = make(small, large);
    const fromText = verdict(() => checkCompactJws(jws, TYP));
    expect(verdict(() => checkCompactJwsBytes(leafInput(jws), TYP))).toEqual(fromText);
  });

  it('covers passes and each kind of refusal (an empty payload passes these checks; the payload checks refuse it)', () => {
    const verdicts = cases.map(([, make]) => verdict(() => checkCompactJws(make(small, large), TYP)));
    expect(verdicts.filter((v) => typeof v === 'object')).toHaveLength(3);
    expect(new Set(verdicts.filter((v) => typeof v === 'string'))).toEqual(new Set(['JWS_MALFORMED', 'JWS_BAD_HEADER', 'JWS_ALG_NONE']));
  });
});
