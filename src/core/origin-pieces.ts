import { bigintToWords, wordsToBigint } from './address-bytes.js';
import type { OriginPiece } from './origin.js';
import { countryText } from './origin-ranges.js';
import { firstEnding4, firstEnding6, type SharedOriginTable } from './origin-segments.js';
import { formatAddress } from './prefix.js';

/**
 * A range of addresses cut where its origin changes (segment boundaries and the edges of
 * gaps), each run of one (country, ASN) written as the fewest CIDR blocks, in address order.
 * Neighbouring segments that differ only in registry stay one run: a piece names country and
 * ASN. `text`, when given, is the caller's canonical text for [start, end] as one prefix, used
 * when the answer is that one piece (no address formatting on the export's common path).
 */
export function pieces4(t: SharedOriginTable, start: number, end: number, out: OriginPiece[], text?: string): void {
  const n = t.n4;
  let i = firstEnding4(t, start);
  if (i < n && t.starts4[i]! <= start && end <= t.ends4[i]!) {
    cidrs4(start, end, t.country[i]!, t.asn[i]!, out, text);
    return;
  }
  let runStart = start;
  let runCountry = -1;
  let runAsn = -1;
  let p = start;
  for (;;) {
    let e: number;
    let country = 0;
    let asn = 0;
    if (i < n && t.starts4[i]! <= p) {
      e = Math.min(t.ends4[i]!, end);
      country = t.country[i]!;
      asn = t.asn[i]!;
      i++;
    } else {
      e = i < n ? Math.min(t.starts4[i]! - 1, end) : end;
    }
    if (country !== runCountry || asn !== runAsn) {
      if (runCountry >= 0) cidrs4(runStart, p - 1, runCountry, runAsn, out, undefined);
      runStart = p;
      runCountry = country;
      runAsn = asn;
    }
    if (e >= end) break;
    p = e + 1;
  }
  cidrs4(runStart, end, runCountry, runAsn, out, runStart === start ? text : undefined);
}

const scratch = new Uint32Array(4);

/** pieces4 for IPv6: segments are found with words, boundaries read as bigints (off the lookup path). */
export function pieces6(t: SharedOriginTable, start: bigint, end: bigint, out: OriginPiece[], text?: string): void {
  const n = t.n6;
  bigintToWords(start, scratch, 0);
  let j = firstEnding6(t, scratch, 0);
  let runStart = start;
  let runCountry = -1;
  let runAsn = -1;
  let p = start;
  for (;;) {
    let e: bigint;
    let country = 0;
    let asn = 0;
    const segStart = j < n ? wordsToBigint(t.starts6, j * 4) : 0n;
    if (j < n && segStart <= p) {
      const segEnd = wordsToBigint(t.ends6, j * 4);
      e = segEnd < end ? segEnd : end;
      country = t.country[t.n4 + j]!;
      asn = t.asn[t.n4 + j]!;
      j++;
    } else {
      e = j < n && segStart - 1n < end ? segStart - 1n : end;
    }
    if (country !== runCountry || asn !== runAsn) {
      if (runCountry >= 0) cidrs6(runStart, p - 1n, runCountry, runAsn, out, undefined);
      runStart = p;
      runCountry = country;
      runAsn = asn;
    }
    if (e >= end) break;
    p = e + 1n;
  }
  cidrs6(runStart, end, runCountry, runAsn, out, runStart === start ? text : undefined);
}

const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

/** As src/core/aggregate.ts rangeToCidrs, keeping each block's bounds for its piece. */
function cidrs4(lo: number, hi: number, country: number, asn: number, out: OriginPiece[], text: string | undefined): void {
  const cc = countryText(country);
  const as = asn === 0 ? null : asn;
  const first = lo;
  while (lo <= hi) {
    // Trailing zero bits of lo: the largest block aligned at lo (`lo & -lo` works modulo 2^32).
    const align = lo === 0 ? 32 : 31 - Math.clz32(lo & -lo);
    const span = hi - lo + 1;
    const fit = span >= POW2[32]! ? 32 : 31 - Math.clz32(span);
    const bits = align < fit ? align : fit;
    const last = lo + POW2[bits]! - 1;
    const prefix =
      text !== undefined && lo === first && last === hi
        ? text
        : `${lo >>> 24}.${(lo >>> 16) & 255}.${(lo >>> 8) & 255}.${lo & 255}/${32 - bits}`;
    out.push({ family: 4, start: lo, end: last, prefix, country: cc, asn: as });
    lo = last + 1;
  }
}

function cidrs6(lo: bigint, hi: bigint, country: number, asn: number, out: OriginPiece[], text: string | undefined): void {
  const cc = countryText(country);
  const as = asn === 0 ? null : asn;
  const first = lo;
  while (lo <= hi) {
    const align = lo === 0n ? 128 : bitLength(lo & -lo) - 1;
    const fit = bitLength(hi - lo + 1n) - 1;
    const bits = align < fit ? align : fit;
    const last = lo + (1n << BigInt(bits)) - 1n;
    const prefix = text !== undefined && lo === first && last === hi ? text : `${formatAddress(6, lo)}/${128 - bits}`;
    out.push({ family: 6, start: lo, end: last, prefix, country: cc, asn: as });
    lo = last + 1n;
  }
}

const bitLength = (n: bigint): number => n.toString(2).length;
