import type { LookupResult } from './lookup-answer.js';

/*
 * `JSON.stringify(result)` for a lookup answer, byte for byte, written out by shape: with the
 * facts in memory, the generic serializer was a third of an uncached lookup (walking objects
 * and checking for toJSON at every level). Strings still go through JSON.stringify, so escaping
 * is the standard one. test/unit/lookup-json.test.ts compares both on every kind of answer.
 */

const str = (s: string) => JSON.stringify(s);
const strOrNull = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));
/**
 * Values the node itself writes in a known alphabet, which never need escaping: canonical
 * prefixes and addresses, RFC 3339 timestamps, states, centre ids (`CENTRE_ID_RE`, checked on
 * every batch) and base64url leaf hashes. Text from elsewhere (categories, reasons, URLs) is
 * escaped.
 */
const raw = (s: string) => `"${s}"`;
const rawOrNull = (s: string | null) => (s === null ? 'null' : `"${s}"`);
const numOrNull = (n: number | null) => (n === null ? 'null' : String(n));

type Match = LookupResult['matches'][number];
type Source = Match['sources'][number];
type Refusal = LookupResult['refusals'][number];

export function lookupAnswerJson(r: LookupResult): string {
  return (
    `{"address":${raw(r.address)},"origin":${originJson(r.origin)},"listed":${r.listed},` +
    `"listedBy":[${r.listedBy.map((p) => `{"prefix":${raw(p.prefix)},"sources":[${p.sources.map(raw).join(',')}],"expires":${raw(p.expires)}${tlpJson(p)}}`).join(',')}],` +
    `"allowlisted":${strOrNull(r.allowlisted)},"specialPurpose":${strOrNull(r.specialPurpose)},` +
    `"matches":[${r.matches.map(matchJson).join(',')}],` +
    `"refusals":[${r.refusals.map(refusalJson).join(',')}],` +
    `"notListedBecause":[${r.notListedBecause.map(str).join(',')}]}`
  );
}

function originJson(o: LookupResult['origin']): string {
  return `{"country":${rawOrNull(o.country)},"asn":${numOrNull(o.asn)},"asName":${strOrNull(o.asName)},"registry":${rawOrNull(o.registry)}}`;
}

function matchJson(m: Match): string {
  return `{"prefix":${raw(m.prefix)},"sources":[${m.sources.map(sourceJson).join(',')}],"listed":${m.listed}}`;
}

function sourceJson(s: Source): string {
  const b = s.batch;
  return (
    `{"publisher":${raw(s.publisher)},"state":${raw(s.state)},"firstSeen":${rawOrNull(s.firstSeen)},"lastSeen":${rawOrNull(s.lastSeen)},` +
    `"reports":${numOrNull(s.reports)},"expires":${rawOrNull(s.expires)},"category":${strOrNull(s.category)},"reason":${strOrNull(s.reason)},` +
    `"batch":{"publisher":${raw(b.publisher)},"seq":${b.seq},"leafHash":${rawOrNull(b.leafHash)},"url":${str(b.url)}}${tlpJson(s)}}`
  );
}

/** An operator's answer names each label (`tlp`); other answers have none. */
function tlpJson(o: { readonly tlp?: string }): string {
  return o.tlp === undefined ? '' : `,"tlp":${JSON.stringify(o.tlp)}`;
}

function refusalJson(r: Refusal): string {
  return `{"publisher":${raw(r.publisher)},"seq":${numOrNull(r.seq)},"prefix":${str(r.prefix)},"code":${str(r.code)},"reason":${str(r.reason)},"at":${rawOrNull(r.at)}}`;
}
