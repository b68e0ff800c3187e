/**
 * Address ranges with one value each, as the origin data loaders read them, before
 * src/core/origin-table.ts merges them: growable typed arrays, so half a million rows cost three
 * arrays rather than half a million objects. An address is `words` unsigned 32-bit words (1 for
 * IPv4, 4 for IPv6, most significant first); `end` is inclusive.
 */
export class RangeList {
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint32Array;
  length = 0;

  constructor(
    readonly words: 1 | 4,
    capacity = 1024,
  ) {
    this.starts = new Uint32Array(capacity * words);
    this.ends = new Uint32Array(capacity * words);
    this.values = new Uint32Array(capacity);
  }

  /** Makes room for one more range and returns its index: the caller writes its words at index * words. */
  reserve(): number {
    if (this.length === this.values.length) this.grow();
    return this.length++;
  }

  /** Makes room for `capacity` ranges in all (the arrays are replaced: take them again after). */
  ensure(capacity: number): void {
    if (this.values.length < capacity) this.grow(capacity);
  }

  push4(start: number, end: number, value: number): void {
    const i = this.reserve();
    this.starts[i] = start;
    this.ends[i] = end;
    this.values[i] = value;
  }

  /** Appends src's ranges [from, to) in one copy per array. */
  append(src: RangeList, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.ensure(this.length + n);
    const W = this.words;
    this.starts.set(src.starts.subarray(from * W, to * W), this.length * W);
    this.ends.set(src.ends.subarray(from * W, to * W), this.length * W);
    this.values.set(src.values.subarray(from, to), this.length);
    this.length += n;
  }

  /** Takes back the last reserve(): a row that turned out to give no value. */
  drop(): void {
    this.length--;
  }

  private grow(atLeast = 0): void {
    const n = Math.max(this.values.length * 2, atLeast);
    const starts = new Uint32Array(n * this.words);
    const ends = new Uint32Array(n * this.words);
    const values = new Uint32Array(n);
    starts.set(this.starts);
    ends.set(this.ends);
    values.set(this.values);
    this.starts = starts;
    this.ends = ends;
    this.values = values;
  }
}

/** One kind of origin data (country, ASN or registry) for both families. */
export interface FamilyRanges {
  readonly v4: RangeList;
  readonly v6: RangeList;
}

export function familyRanges(): FamilyRanges {
  return { v4: new RangeList(1), v6: new RangeList(4) };
}

/** A two-letter country code as one uint16 (first letter in the high byte); 0 is "none". */
export function packCountry(a: number, b: number): number {
  return (a << 8) | b;
}

/** Country texts by packed code, made once each: a piece or an origin shares the string. */
const COUNTRY_TEXT: (string | undefined)[] = [];

export function countryText(code: number): string | null {
  if (code === 0) return null;
  return (COUNTRY_TEXT[code] ??= String.fromCharCode(code >>> 8, code & 0xff));
}
