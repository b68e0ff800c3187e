import { describe, expect, it } from 'vitest';
import { SpamxError } from '../../src/core/errors.js';
import { PieceOrder } from '../../src/core/origin-cut.js';
import { normalizeScope, parseScopeQuery, parseScopeSpecs, scopeFromJson, scopeSpecs, scopeToJson } from '../../src/core/scope-spec.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof SpamxError ? `${err.code}: ${err.message}` : String(err);
  }
  return 'no error';
};

describe('scope specs (subscriber add --scope)', () => {
  it('reads ASNs, countries and prefixes, sorted and without repeats', () => {
    const scope = parseScopeSpecs(['AS4134', 'country:hk', '61.4.0.0/16', 'as4134', 'COUNTRY:CN', '2400:cb00::/32']);
    expect(scope).toEqual({ countries: ['CN', 'HK'], asns: [4134], within: ['2400:cb00::/32', '61.4.0.0/16'] });
    expect(scopeSpecs(scope)).toEqual(['country:CN', 'country:HK', 'AS4134', '2400:cb00::/32', '61.4.0.0/16']);
    expect(parseScopeSpecs(scopeSpecs(scope))).toEqual(scope);
  });

  it('stores the empty scope as null and any other as JSON that reads back the same', () => {
    expect(scopeToJson({ countries: [], asns: [], within: [] })).toBeNull();
    const scope = normalizeScope({ countries: ['JP'], asns: [2497, 4713], within: ['202.12.0.0/16'] });
    expect(scopeFromJson(scopeToJson(scope))).toEqual(scope);
    expect(scopeFromJson(null)).toBeNull();
  });

  it('names the bad value and the accepted forms', () => {
    expect(codeOf(() => parseScopeSpecs(['AS0']))).toMatch(/^BAD_REQUEST: "AS0" is not an AS number/);
    expect(codeOf(() => parseScopeSpecs(['country:Japan']))).toMatch(/^BAD_REQUEST: "country:Japan" is not a country: write an ISO 3166-1 alpha-2 code/);
    expect(codeOf(() => parseScopeSpecs(['61.4.0.1/16']))).toMatch(/^BAD_REQUEST: "61.4.0.1\/16" is not a scope: .*host bits.*write AS4134, country:HK or a prefix/);
    expect(codeOf(() => parseScopeSpecs(['isp.example']))).toMatch(/^BAD_REQUEST: "isp.example" is not a scope/);
  });
});

describe('origin filters of a request (country=, asn=, within=)', () => {
  it('take AS numbers with or without "AS" and upper-case countries', () => {
    expect(parseScopeQuery(['cn', 'HK'], ['4134', 'AS4837'], ['61.4.0.0/16'])).toEqual({ countries: ['CN', 'HK'], asns: [4134, 4837], within: ['61.4.0.0/16'] });
  });

  it('refuse more than 100 values together, and name each bad one by its parameter', () => {
    expect(codeOf(() => parseScopeQuery(Array.from({ length: 60 }, () => 'CN'), Array.from({ length: 41 }, (_, i) => String(i + 1)), []))).toMatch(/at most 100 values/);
    expect(codeOf(() => parseScopeQuery([], ['x'], []))).toMatch(/"asn=x" is not an AS number/);
    expect(codeOf(() => parseScopeQuery(['CHN'], [], []))).toMatch(/"country=CHN" is not a country/);
    expect(codeOf(() => parseScopeQuery([], [], ['300.1.1.1']))).toMatch(/"within=300.1.1.1" is not a scope/);
  });
});

describe('PieceOrder', () => {
  const p = (start: number) => ({ family: 4 as const, start });

  it('puts the pieces of nested ranges back in address order, holding no more than it must', () => {
    const order = new PieceOrder<{ family: 4; start: number }>();
    const out: number[] = [];
    // A /16 cut into two parts, then a /24 nested between them, then a range after both.
    out.push(...[...order.add(4, 100, [p(100), p(200)])].map((x) => x.start));
    expect(out).toEqual([]);
    out.push(...[...order.add(4, 150, [p(150)])].map((x) => x.start));
    expect(out).toEqual([100]);
    out.push(...[...order.add(4, 300, [p(300)])].map((x) => x.start));
    expect(out).toEqual([100, 150, 200]);
    out.push(...[...order.finish()].map((x) => x.start));
    expect(out).toEqual([100, 150, 200, 300]);
  });

  it('orders any input whose ranges come in ascending start', () => {
    const order = new PieceOrder<{ family: 4; start: number }>();
    const out: number[] = [];
    let seed = 11;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let start = 0;
    const all: number[] = [];
    for (let i = 0; i < 500; i++) {
      start += Math.floor(rand() * 50);
      const pieces = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => start + Math.floor(rand() * 400)).sort((a, b) => a - b);
      all.push(...pieces);
      out.push(...[...order.add(4, start, pieces.map(p))].map((x) => x.start));
    }
    out.push(...[...order.finish()].map((x) => x.start));
    expect(out).toEqual([...all].sort((a, b) => a - b));
  });
});
