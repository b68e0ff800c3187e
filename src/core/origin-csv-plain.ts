import { ipv6Until } from './address-bytes.js';
import type { AsNames } from './as-names.js';
import type { RangeList } from './origin-ranges.js';

/**
 * The plain rows of the ip-location-db CSVs, read in one loop per chunk: `decimal,decimal,CC`
 * and `decimal,decimal,ASN,name` (IPv4 `-num` files), the same with IPv6 text addresses. Each
 * loop keeps its state in locals and stops at the first row that is not plain (a dotted quad,
 * CRLF, a malformed row…), returning where: src/core/origin-csv.ts reads that row the careful
 * way, which words every error, and calls again. One loop per shape, so each is compiled for
 * its own rows: a shared per-row function cost the 412,000-row ASN file a third more time
 * (it was optimized for country rows, then thrown away).
 */
export interface PlainCount {
  /** Lines read. */
  line: number;
  /** Rows that gave a range. */
  rows: number;
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const TWO32 = 2 ** 32;
/**
 * Zero as a double (-0): the decimal accumulators start as doubles, so the compiled loops do
 * double arithmetic from the first row. Started at the small integer 0, each accumulator's
 * arithmetic was compiled for small integers, overflowed at the first address past 64.0.0.0 and
 * was thrown away and compiled again: three deoptimizations in the ASN loop alone.
 */
const F0 = -0;

/** `start,end,CC\n` rows with decimal IPv4 addresses; ZZ gives no range. */
export function plainCountry4(b: Uint8Array, p: number, to: number, list: RangeList, count: PlainCount): number {
  let n = list.length;
  let { starts, ends, values } = list;
  let line = 0;
  let rows = 0;
  while (p < to) {
    let i = p;
    let start = F0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      start = start * 10 + d;
    }
    if (i === p || i - p > 10 || i >= to || b[i] !== COMMA || start >= TWO32) break;
    const q = ++i;
    let end = F0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      end = end * 10 + d;
    }
    if (i === q || i - q > 10 || i + 3 >= to || b[i] !== COMMA || end >= TWO32 || end < start || b[i + 3] !== LF) break;
    const a = b[i + 1]!;
    const c = b[i + 2]!;
    if (a < 0x41 || a > 0x5a || c < 0x41 || c > 0x5a) break;
    if (a !== 0x5a || c !== 0x5a) {
      if (n === values.length) {
        list.length = n;
        list.ensure(n + 1);
        ({ starts, ends, values } = list);
      }
      starts[n] = start;
      ends[n] = end;
      values[n] = (a << 8) | c;
      n++;
      rows++;
    }
    line++;
    p = i + 4;
  }
  list.length = n;
  count.line += line;
  count.rows += rows;
  return p;
}

/** `start,end,ASN,name\n` rows with decimal IPv4 addresses; the name quoted or not; AS0 gives no range. */
export function plainAsn4(b: Uint8Array, p: number, to: number, list: RangeList, names: AsNames | null, count: PlainCount): number {
  let n = list.length;
  let { starts, ends, values } = list;
  let line = 0;
  let rows = 0;
  while (p < to) {
    let i = p;
    let start = F0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      start = start * 10 + d;
    }
    if (i === p || i - p > 10 || i >= to || b[i] !== COMMA || start >= TWO32) break;
    let q = ++i;
    let end = F0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      end = end * 10 + d;
    }
    if (i === q || i - q > 10 || i >= to || b[i] !== COMMA || end >= TWO32 || end < start) break;
    q = ++i;
    let asn = F0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      asn = asn * 10 + d;
    }
    if (i === q || i - q > 10 || i >= to || b[i] !== COMMA || asn >= TWO32) break;
    const after = nameEnd(b, i + 1, to);
    if (after < 0) break;
    if (asn !== 0) {
      if (n === values.length) {
        list.length = n;
        list.ensure(n + 1);
        ({ starts, ends, values } = list);
      }
      starts[n] = start;
      ends[n] = end;
      values[n] = asn;
      n++;
      rows++;
      if (names !== null && nameTo > nameFrom) names.add(asn, b, nameFrom, nameTo, nameEscaped);
    }
    line++;
    p = after;
  }
  list.length = n;
  count.line += line;
  count.rows += rows;
  return p;
}

/** `start,end,value\n` rows with IPv6 text addresses: CC (country) or ASN,name (asn). */
export function plain6(b: Uint8Array, p: number, to: number, list: RangeList, kind: 'country' | 'asn', names: AsNames | null, count: PlainCount): number {
  let line = 0;
  let rows = 0;
  while (p < to) {
    const k = list.reserve();
    const e1 = ipv6Until(b, p, to, list.starts, k * 4);
    const e2 = e1 >= 0 && e1 < to && b[e1] === COMMA ? ipv6Until(b, e1 + 1, to, list.ends, k * 4) : -1;
    if (e2 < 0 || e2 >= to || b[e2] !== COMMA || !ordered(list.starts, list.ends, k * 4)) {
      list.drop();
      break;
    }
    let value = F0;
    let after = -1;
    let i = e2 + 1;
    if (kind === 'country') {
      const a = b[i]!;
      const c = b[i + 1]!;
      if (i + 2 < to && b[i + 2] === LF && a >= 0x41 && a <= 0x5a && c >= 0x41 && c <= 0x5a) {
        value = a === 0x5a && c === 0x5a ? 0 : (a << 8) | c;
        after = i + 3;
      }
    } else {
      const q = i;
      for (; i < to; i++) {
        const d = b[i]! - 0x30;
        if (d < 0 || d > 9) break;
        value = value * 10 + d;
      }
      if (i > q && i - q <= 10 && i < to && b[i] === COMMA && value < TWO32) after = nameEnd(b, i + 1, to);
    }
    if (after < 0) {
      list.drop();
      break;
    }
    if (value === 0) list.drop();
    else {
      list.values[k] = value;
      rows++;
      if (kind === 'asn' && names !== null && nameTo > nameFrom) names.add(value, b, nameFrom, nameTo, nameEscaped);
    }
    line++;
    p = after;
  }
  count.line += line;
  count.rows += rows;
  return p;
}

/** The name nameEnd read last: bytes[nameFrom, nameTo), with doubled quotes when nameEscaped. */
let nameFrom = 0;
let nameTo = 0;
let nameEscaped = false;

/**
 * The AS name field from p to its line feed, quoted (commas and doubled quotes inside) or not
 * (neither commas nor quotes); returns where the next row begins, or -1 when it is not plain.
 */
function nameEnd(b: Uint8Array, p: number, to: number): number {
  let i = p;
  nameEscaped = false;
  if (i < to && b[i] === QUOTE) {
    nameFrom = ++i;
    for (;;) {
      while (i < to && b[i] !== QUOTE && b[i] !== LF) i++;
      if (i + 1 >= to || b[i] !== QUOTE) return -1;
      if (b[i + 1] !== QUOTE) break;
      nameEscaped = true;
      i += 2;
    }
    nameTo = i++;
    return b[i] === LF ? i + 1 : -1;
  }
  nameFrom = i;
  for (; i < to; i++) {
    const c = b[i]!;
    if (c === LF) break;
    if (c === COMMA || c === QUOTE || c === CR) return -1;
  }
  nameTo = i;
  return i < to ? i + 1 : -1;
}

/** end >= start for the four-word range at k. */
function ordered(starts: Uint32Array, ends: Uint32Array, k: number): boolean {
  for (let w = 0; w < 4; w++) if (ends[k + w] !== starts[k + w]) return ends[k + w]! > starts[k + w]!;
  return true;
}
