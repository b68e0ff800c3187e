import { rangeToCidrs } from './aggregate.js';
import { wordsToBigint } from './address-bytes.js';
import { SpamxError } from './errors.js';
import type { OriginPiece, OriginScope } from './origin.js';
import { pieces4, pieces6 } from './origin-pieces.js';
import { packCountry } from './origin-ranges.js';
import type { SharedOriginTable } from './origin-segments.js';
import { parsePrefix, prefixEnd, type Family } from './prefix.js';

/**
 * A scope as sorted, merged address ranges per family (neither overlapping nor adjacent), so
 * intersecting a listed prefix with it is one binary search. IPv6 bounds are bigints, compared
 * with the listed prefix's bigint as they are: no allocation when the answer is empty. Plain
 * data: it can be posted to a worker thread.
 */
export interface CompiledScope {
  /** An empty scope: no filter (PROTOCOL "Additions: origins"). */
  readonly all: boolean;
  readonly starts4: Uint32Array;
  readonly ends4: Uint32Array;
  readonly starts6: readonly bigint[];
  readonly ends6: readonly bigint[];
}

const COUNTRY_RE = /^[A-Z]{2}$/;

export function compileScope(t: SharedOriginTable, scope: OriginScope): CompiledScope {
  const all = scope.countries.length === 0 && scope.asns.length === 0 && scope.within.length === 0;
  const countries = new Set<number>();
  for (const cc of scope.countries) {
    if (!COUNTRY_RE.test(cc)) throw new SpamxError('BAD_REQUEST', `country "${cc.slice(0, 8)}" is not an ISO 3166-1 alpha-2 code`);
    countries.add(packCountry(cc.charCodeAt(0), cc.charCodeAt(1)));
  }
  const asns = new Set<number>();
  for (const asn of scope.asns) {
    if (!Number.isInteger(asn) || asn < 1 || asn > 0xffffffff) throw new SpamxError('BAD_REQUEST', `AS number ${asn} is out of range`);
    asns.add(asn);
  }
  const v4: [number, number][] = [];
  const v6: [bigint, bigint][] = [];
  if (countries.size > 0 || asns.size > 0) {
    for (let i = 0; i < t.n4 + t.n6; i++) {
      if (!countries.has(t.country[i]!) && !asns.has(t.asn[i]!)) continue;
      if (i < t.n4) v4.push([t.starts4[i]!, t.ends4[i]!]);
      else v6.push([wordsToBigint(t.starts6, (i - t.n4) * 4), wordsToBigint(t.ends6, (i - t.n4) * 4)]);
    }
  }
  for (const text of scope.within) {
    const parsed = parsePrefix(text);
    if (!parsed.ok) throw new SpamxError('BAD_REQUEST', `within: ${parsed.reason.slice(0, 200)}`);
    const p = parsed.prefix;
    if (p.family === 4) v4.push([p.start as number, prefixEnd(p) as number]);
    else v6.push([p.start as bigint, prefixEnd(p) as bigint]);
  }
  const m4 = merged(v4, 1);
  const m6 = merged(v6, 1n);
  return {
    all,
    starts4: Uint32Array.from(m4, (r) => r[0]),
    ends4: Uint32Array.from(m4, (r) => r[1]),
    starts6: m6.map((r) => r[0]),
    ends6: m6.map((r) => r[1]),
  };
}

/** Ranges sorted and merged where they overlap or touch. */
function merged<A extends number | bigint>(ranges: [A, A][], one: A): [A, A][] {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [A, A][] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && r[0] <= ((last[1] as bigint) + (one as bigint))) {
      if (r[1] > last[1]) last[1] = r[1];
    } else {
      out.push([r[0], r[1]]);
    }
  }
  return out;
}

const EMPTY: readonly OriginPiece[] = Object.freeze([]);

/** The first scope range ending at or after `at` (IPv4). */
function first4(s: CompiledScope, at: number): number {
  let lo = 0;
  let hi = s.ends4.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.ends4[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function first6(s: CompiledScope, at: bigint): number {
  let lo = 0;
  let hi = s.ends6.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.ends6[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * [start, end] ∩ scope, cut at origin boundaries: CIDR pieces in address order, each with one
 * origin. The frozen EMPTY when nothing is in scope (no allocation); `text` as in pieces4.
 */
export function intersectScope(
  t: SharedOriginTable,
  family: Family,
  start: number | bigint,
  end: number | bigint,
  s: CompiledScope,
  text?: string,
): readonly OriginPiece[] {
  if (family === 4) {
    const a = start as number;
    const b = end as number;
    if (s.all) return piecesOf4(t, a, b, text);
    let k = first4(s, a);
    if (k === s.ends4.length || s.starts4[k]! > b) return EMPTY;
    if (s.starts4[k]! <= a && b <= s.ends4[k]!) return piecesOf4(t, a, b, text);
    const out: OriginPiece[] = [];
    for (; k < s.ends4.length && s.starts4[k]! <= b; k++) pieces4(t, Math.max(a, s.starts4[k]!), Math.min(b, s.ends4[k]!), out);
    return out;
  }
  const a = start as bigint;
  const b = end as bigint;
  if (s.all) return piecesOf6(t, a, b, text);
  let k = first6(s, a);
  if (k === s.ends6.length || s.starts6[k]! > b) return EMPTY;
  if (s.starts6[k]! <= a && b <= s.ends6[k]!) return piecesOf6(t, a, b, text);
  const out: OriginPiece[] = [];
  for (; k < s.ends6.length && s.starts6[k]! <= b; k++) {
    const lo = s.starts6[k]! > a ? s.starts6[k]! : a;
    const hi = s.ends6[k]! < b ? s.ends6[k]! : b;
    pieces6(t, lo, hi, out);
  }
  return out;
}

/** Whether any address of [start, end] is in scope. */
export function scopeOverlaps(family: Family, start: number | bigint, end: number | bigint, s: CompiledScope): boolean {
  if (s.all) return true;
  if (family === 4) {
    const k = first4(s, start as number);
    return k < s.ends4.length && s.starts4[k]! <= (end as number);
  }
  const k = first6(s, start as bigint);
  return k < s.ends6.length && s.starts6[k]! <= (end as bigint);
}

/** The scope as CIDRs, IPv4 then IPv6 (an empty scope: everything). */
export function scopeCidrs(s: CompiledScope): string[] {
  if (s.all) return ['0.0.0.0/0', '::/0'];
  const out: string[] = [];
  for (let k = 0; k < s.starts4.length; k++) out.push(...rangeToCidrs(4, s.starts4[k]!, s.ends4[k]!));
  for (let k = 0; k < s.starts6.length; k++) out.push(...rangeToCidrs(6, s.starts6[k]!, s.ends6[k]!));
  return out;
}

export function piecesOf4(t: SharedOriginTable, start: number, end: number, text?: string): OriginPiece[] {
  const out: OriginPiece[] = [];
  pieces4(t, start, end, out, text);
  return out;
}

export function piecesOf6(t: SharedOriginTable, start: bigint, end: bigint, text?: string): OriginPiece[] {
  const out: OriginPiece[] = [];
  pieces6(t, start, end, out, text);
  return out;
}
