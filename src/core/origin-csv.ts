import type { AsNames } from './as-names.js';
import { decimal128, dottedQuad, ipv6Words } from './address-bytes.js';
import { plain6, plainAsn4, plainCountry4 } from './origin-csv-plain.js';
import { fieldText, originDataError } from './origin-data-error.js';
import { cmp } from './origin-overlaps.js';
import { packCountry, type FamilyRanges } from './origin-ranges.js';
import type { Family } from './prefix.js';

/** `start,end,CC` (country) or `start,end,ASN,AS name` (asn), as the ip-location-db packages ship them. */
export type OriginCsvKind = 'country' | 'asn';

export interface OriginCsvOptions {
  /** Where AS names go (asn files): the first name given for each AS. */
  readonly asNames?: AsNames;
  /** The family of rows whose addresses are decimal numbers (the `-ipv6-num.csv` files: 6). */
  readonly numFamily?: Family;
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const TWO32 = 2 ** 32;

/**
 * The ip-location-db CSV shapes read straight from bytes, a row per line: addresses as IPv4
 * dotted quads, IPv6 text, or decimal numbers (the `-num` files; decimals are IPv4 unless the
 * parser is told the file is IPv6, `numFamily`); a quoted AS name may hold commas and doubled
 * quotes but not a line break. Rows for no country (`ZZ`) or AS0 give no range. A malformed row
 * throws ORIGINS_INVALID naming the file, the line and why.
 *
 * Written by hand because csv-parse cannot come near the load target (200 ms for the whole
 * default data): on asn-ipv4-num.csv (21 MB, 411,961 rows), Node 20 on the shared 2-core bench
 * machine, csv-parse/sync took 860-1,850 ms (six runs) to make its arrays of strings, nothing
 * converted yet; this parser takes about 66 ms of CPU for the same file with the ranges and AS
 * names stored, 95 ms in a fresh process (before its loops are compiled).
 */
export class OriginCsvParser {
  /** Lines read so far (the number of the last one). */
  line = 0;
  /** Rows that gave a range. */
  rows = 0;
  /** The decimal value of the last field scanned when it is all digits and below 2^32, else -1. */
  private num = -1;
  /** Whether the last field scanned held a `:` or a `.`. */
  private colon = false;
  private dot = false;
  private readonly asNames: AsNames | null;
  private readonly numFamily: Family;

  constructor(
    private readonly kind: OriginCsvKind,
    private readonly file: string,
    private readonly into: FamilyRanges,
    options: OriginCsvOptions = {},
  ) {
    this.asNames = options.asNames ?? null;
    this.numFamily = options.numFamily ?? 4;
  }

  /** Reads the whole lines in bytes[from, to): `to` is just past a line feed, or the end of the data. */
  feed(b: Uint8Array, from: number, to: number): void {
    let p = from;
    while (p < to) {
      // Plain rows in one loop (src/core/origin-csv-plain.ts); the row it stops at, the careful way.
      p = this.plain(b, p, to);
      if (p < to) p = this.row(b, p, to);
    }
  }

  /** The plain rows from p, counted into this parser's `line` and `rows`; returns where they stop. */
  private plain(b: Uint8Array, p: number, to: number): number {
    if (this.numFamily === 6) return plain6(b, p, to, this.into.v6, this.kind, this.asNames, this);
    if (this.kind === 'country') return plainCountry4(b, p, to, this.into.v4, this);
    return plainAsn4(b, p, to, this.into.v4, this.asNames, this);
  }

  /** One line from p; returns where the next begins. */
  private row(b: Uint8Array, p: number, to: number): number {
    this.line++;
    if (b[p] === LF) return p + 1; // blank lines are skipped
    if (b[p] === CR && p + 1 < to && b[p + 1] === LF) return p + 2;
    const e1 = this.scan(b, p, to);
    const n1 = this.num;
    const c1 = this.colon;
    const d1 = this.dot;
    if (e1 >= to || b[e1] !== COMMA) throw this.error(`expected ${this.kind === 'asn' ? 4 : 3} comma-separated fields`);
    const e2 = this.scan(b, e1 + 1, to);
    const n2 = this.num;
    const c2 = this.colon;
    const d2 = this.dot;
    if (e2 >= to || b[e2] !== COMMA) throw this.error(`expected ${this.kind === 'asn' ? 4 : 3} comma-separated fields`);
    let value: number;
    let next: number;
    if (this.kind === 'country') {
      const a = b[e2 + 1]!;
      const c = b[e2 + 2]!;
      next = e2 + 3;
      const fieldEnd = this.fieldEnd(b, e2 + 1, to);
      if (fieldEnd !== next || a < 0x41 || a > 0x5a || c < 0x41 || c > 0x5a) {
        throw this.error(`"${fieldText(b, e2 + 1, fieldEnd)}" is not a country code (two capital letters)`);
      }
      value = a === 0x5a && c === 0x5a ? 0 : packCountry(a, c);
    } else {
      const e3 = this.scan(b, e2 + 1, to);
      value = this.num;
      if (value < 0 || e3 === e2 + 1 || e3 - e2 - 1 > 10) throw this.error(`"${fieldText(b, e2 + 1, e3)}" is not an AS number`);
      if (e3 >= to || b[e3] !== COMMA) throw this.error('expected 4 comma-separated fields');
      next = this.asName(b, e3 + 1, to, value);
    }
    this.addresses(b, p, e1, n1, c1 || c2, d1 || d2, e2, n2, value);
    return this.lineEnd(b, next, to);
  }

  /**
   * Checks the range of fields [p, e1) and (e1, e2) and stores it with its value (a value of 0,
   * no country or AS0, is checked and not stored); n1 and n2 are the fields' decimal values (or
   * -1), colon and dot whether either field holds one.
   */
  private addresses(b: Uint8Array, p: number, e1: number, n1: number, colon: boolean, dot: boolean, e2: number, n2: number, value: number): void {
    if (!colon && !dot && this.numFamily === 4) {
      if (n1 < 0 || e1 - p > 10) throw this.error(`"${fieldText(b, p, e1)}" is not an IPv4 address number`);
      if (n2 < 0 || e2 - e1 - 1 > 10) throw this.error(`"${fieldText(b, e1 + 1, e2)}" is not an IPv4 address number`);
      return this.push4(n1, n2, value);
    }
    if (dot && !colon) {
      const start = dottedQuad(b, p, e1);
      const end = dottedQuad(b, e1 + 1, e2);
      if (start < 0) throw this.error(`"${fieldText(b, p, e1)}" is not an IPv4 address`);
      if (end < 0) throw this.error(`"${fieldText(b, e1 + 1, e2)}" is not an IPv4 address`);
      return this.push4(start, end, value);
    }
    const list = this.into.v6;
    const k = list.reserve();
    const text = colon;
    const okStart = text ? ipv6Words(b, p, e1, list.starts, k * 4) : decimal128(b, p, e1, list.starts, k * 4);
    const okEnd = okStart && (text ? ipv6Words(b, e1 + 1, e2, list.ends, k * 4) : decimal128(b, e1 + 1, e2, list.ends, k * 4));
    if (!okStart || !okEnd) {
      list.drop();
      const [from, end] = okStart ? [e1 + 1, e2] : [p, e1];
      throw this.error(`"${fieldText(b, from, end)}" is not an IPv6 address${text ? '' : ' number'}`);
    }
    if (cmp(list.ends, k * 4, list.starts, k * 4, 4) < 0) {
      list.drop();
      throw this.error('the range ends before it starts');
    }
    if (value === 0) return list.drop();
    list.values[k] = value;
    this.rows++;
  }

  private push4(start: number, end: number, value: number): void {
    if (end < start) throw this.error('the range ends before it starts');
    if (value === 0) return;
    this.into.v4.push4(start, end, value);
    this.rows++;
  }

  /** The AS name field from p (quoted or not); returns where the line should end. */
  private asName(b: Uint8Array, p: number, to: number, asn: number): number {
    let from = p;
    let end: number;
    let after: number;
    let escaped = false;
    if (p < to && b[p] === QUOTE) {
      from = p + 1;
      let q = from;
      for (;;) {
        while (q < to && b[q] !== QUOTE && b[q] !== LF) q++;
        if (q >= to || b[q] === LF) throw this.error('the quoted AS name does not end on its line');
        if (q + 1 < to && b[q + 1] === QUOTE) {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      end = q;
      after = q + 1;
    } else {
      let q = p;
      while (q < to && b[q] !== LF && b[q] !== COMMA && b[q] !== QUOTE) q++;
      if (q < to && b[q] === COMMA) throw this.error('more than 4 fields (an AS name with a comma must be quoted)');
      if (q < to && b[q] === QUOTE) throw this.error('a quote inside an unquoted AS name');
      end = q > p && b[q - 1] === CR ? q - 1 : q;
      after = end;
    }
    if (this.asNames !== null && end > from && asn !== 0) this.asNames.add(asn, b, from, end, escaped);
    return after;
  }

  /** Scans a field from p to the next comma or line end, noting whether it is a decimal below 2^32 and holds `:` or `.`. */
  private scan(b: Uint8Array, p: number, to: number): number {
    let value = 0;
    let digits = true;
    let colon = false;
    let dot = false;
    let i = p;
    for (; i < to; i++) {
      const c = b[i]!;
      if (c === COMMA || c === LF || c === CR) break;
      const d = c - 0x30;
      if (d >= 0 && d <= 9) value = value * 10 + d;
      else {
        digits = false;
        if (c === 0x3a) colon = true;
        else if (c === 0x2e) dot = true;
      }
    }
    this.num = digits && i > p && value < TWO32 ? value : -1;
    this.colon = colon;
    this.dot = dot;
    return i;
  }

  private fieldEnd(b: Uint8Array, p: number, to: number): number {
    let i = p;
    while (i < to && b[i] !== COMMA && b[i] !== LF && b[i] !== CR) i++;
    return i;
  }

  /** Past the line end at p: anything else there is an extra field. */
  private lineEnd(b: Uint8Array, p: number, to: number): number {
    if (p >= to) return to;
    if (b[p] === LF) return p + 1;
    if (b[p] === CR && (p + 1 >= to || b[p + 1] === LF)) return Math.min(p + 2, to);
    throw this.error(`more than ${this.kind === 'asn' ? 4 : 3} fields`);
  }

  private error(reason: string): Error {
    return originDataError(this.file, this.line, reason);
  }
}
