import { SpamxError } from './errors.js';
import type { OriginScope } from './origin.js';
import { parsePrefix } from './prefix.js';

/** Most values one scope may name, as the `source` filter: each is tested against every row. */
export const MAX_SCOPE_VALUES = 100;

export const EMPTY_SCOPE: OriginScope = { countries: [], asns: [], within: [] };

export function scopeIsEmpty(scope: OriginScope): boolean {
  return scope.countries.length === 0 && scope.asns.length === 0 && scope.within.length === 0;
}

/**
 * A subscriber key's scope from `--scope` values (PROTOCOL "Additions: origins"): `AS4134` (an
 * AS number), `country:HK` (ISO 3166-1 alpha-2), or an address or CIDR prefix. Each bad value is
 * a BAD_REQUEST naming it and the forms that are accepted.
 */
export function parseScopeSpecs(specs: readonly string[]): OriginScope {
  const countries: string[] = [];
  const asns: number[] = [];
  const within: string[] = [];
  for (const raw of specs) {
    const spec = raw.trim();
    const as = /^as(\d{1,10})$/i.exec(spec);
    if (as) asns.push(checkAsn(as[1]!, raw));
    else if (/^country:/i.test(spec)) countries.push(checkCountry(spec.slice(8), raw));
    else within.push(checkPrefix(spec, raw));
  }
  return normalizeScope({ countries, asns, within });
}

/**
 * The origin filters of a subscriber request: `country=CC`, `asn=N` (or `AS4134`) and
 * `within=PREFIX`, each already split into values (repeatable and comma-separated).
 */
export function parseScopeQuery(countries: readonly string[], asns: readonly string[], within: readonly string[]): OriginScope {
  const total = countries.length + asns.length + within.length;
  if (total > MAX_SCOPE_VALUES) throw new SpamxError('BAD_REQUEST', `country, asn and within may name at most ${MAX_SCOPE_VALUES} values together`);
  return normalizeScope({
    countries: countries.map((c) => checkCountry(c, `country=${c}`)),
    asns: asns.map((a) => checkAsn(a.replace(/^as/i, ''), `asn=${a}`)),
    within: within.map((w) => checkPrefix(w, `within=${w}`)),
  });
}

/** Sorted and without repeats, so equal scopes have equal text (ETags, cursors, the store). */
export function normalizeScope(scope: OriginScope): OriginScope {
  return {
    countries: [...new Set(scope.countries)].sort(),
    asns: [...new Set(scope.asns)].sort((a, b) => a - b),
    within: [...new Set(scope.within)].sort(),
  };
}

/** `AS4134 61.4.0.0/16 country:HK`: the form `subscriber add --scope` takes, one value each. */
export function scopeSpecs(scope: OriginScope): string[] {
  return [...scope.countries.map((c) => `country:${c}`), ...scope.asns.map((a) => `AS${a}`), ...scope.within];
}

/** The stored form of a scope (subscribers.scope); the empty scope is stored as null. */
export function scopeToJson(scope: OriginScope): string | null {
  return scopeIsEmpty(scope) ? null : JSON.stringify(normalizeScope(scope));
}

export function scopeFromJson(text: string | null): OriginScope | null {
  if (text === null) return null;
  const v = JSON.parse(text) as Partial<OriginScope>;
  return normalizeScope({ countries: v.countries ?? [], asns: v.asns ?? [], within: v.within ?? [] });
}

function checkAsn(digits: string, raw: string): number {
  const n = /^\d{1,10}$/.test(digits) ? Number(digits) : NaN;
  // AS 0 marks space no one may originate (RFC 7607); 4294967295 is reserved (RFC 7300).
  if (!(n >= 1 && n <= 4_294_967_294)) throw new SpamxError('BAD_REQUEST', `"${raw}" is not an AS number: write AS4134 (--scope) or asn=4134`);
  return n;
}

function checkCountry(code: string, raw: string): string {
  const cc = code.toUpperCase();
  if (!/^[A-Z]{2}$/.test(cc)) throw new SpamxError('BAD_REQUEST', `"${raw}" is not a country: write an ISO 3166-1 alpha-2 code such as HK`);
  return cc;
}

function checkPrefix(text: string, raw: string): string {
  const parsed = parsePrefix(text);
  if (!parsed.ok) {
    throw new SpamxError('BAD_REQUEST', `"${raw}" is not a scope: ${parsed.reason}; write AS4134, country:HK or a prefix such as 61.4.0.0/16`);
  }
  return parsed.prefix.text;
}
