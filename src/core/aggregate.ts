import { formatAddress, parsePrefix, type Family } from './prefix.js';

/**
 * The minimal CIDR cover of a set of prefixes, as `iprange` computes it: overlapping and
 * adjacent prefixes merge into ranges, and each range is cut into the fewest aligned CIDR blocks
 * (at each step the largest block aligned at the range's start that fits). Prefixes come in
 * address order (IPv4 before IPv6, as the store's keys order them) and memory stays constant
 * however long the input; out of order input throws rather than yield a wrong cover. Output is
 * canonical prefix text with the length always written (`61.4.12.7/32`, where iprange prints a
 * bare `61.4.12.7`).
 */
export function* aggregatePrefixes(prefixes: Iterable<string>): Generator<string> {
  const cover = new Cover();
  for (const text of prefixes) {
    const parsed = parsePrefix(text);
    if (!parsed.ok) continue;
    const p = parsed.prefix;
    if (p.family === 4) cover.add4(p.start as number, (p.start as number) + 2 ** (32 - p.length) - 1);
    else cover.add6(p.start as bigint, (p.start as bigint) + (1n << BigInt(128 - p.length)) - 1n);
    yield* cover.drain();
  }
  cover.finish();
  yield* cover.drain();
}

/**
 * The same cover from pages of the store's sort keys (src/core/prefix.ts `prefixKey`)
 * concatenated without separators: `4` + 8 hex digits + 2 for the length, or `6` + 32 + 2.
 * Reading keys spares parsing prefix text; this is the export's hot path, so it yields the CIDRs
 * each page closes as one array rather than one at a time.
 */
export function* aggregateKeyPages(pages: Iterable<string>): Generator<readonly string[]> {
  const cover = new Cover();
  for (const page of pages) {
    let i = 0;
    while (i < page.length) {
      const family = page.charCodeAt(i);
      if (family === 0x34) {
        const start = hexValue(page, i + 1, i + 9);
        cover.add4(start, start + POW2[32 - hexValue(page, i + 9, i + 11)]! - 1);
        i += 11;
      } else if (family === 0x36) {
        const start = BigInt(`0x${page.slice(i + 1, i + 33)}`);
        cover.add6(start, start + (1n << BigInt(128 - hexValue(page, i + 33, i + 35))) - 1n);
        i += 35;
      } else {
        throw new Error(`aggregate: "${page.slice(i, i + 35)}" is not a prefix key`);
      }
    }
    yield cover.drain();
  }
  cover.finish();
  yield cover.drain();
}

/** The fewest CIDR blocks exactly covering the addresses lo..hi of one family. */
export function rangeToCidrs(family: Family, lo: number | bigint, hi: number | bigint): string[] {
  const out: string[] = [];
  if (family === 4) cidrs4(Number(lo), Number(hi), out);
  else cidrs6(BigInt(lo), BigInt(hi), out);
  return out;
}

/** The running merge: one open range per family, closed ranges' CIDRs waiting in `out`. */
class Cover {
  private family: 0 | Family = 0;
  private lo4 = 0;
  private hi4 = -1;
  private lo6 = 0n;
  private hi6 = -1n;
  private out: string[] = [];

  add4(start: number, end: number): void {
    if (this.family === 4) {
      if (start < this.lo4) throw new Error('aggregate: prefixes out of address order');
      if (start <= this.hi4 + 1) {
        if (end > this.hi4) this.hi4 = end;
        return;
      }
      cidrs4(this.lo4, this.hi4, this.out);
    } else if (this.family === 6) {
      throw new Error('aggregate: IPv4 after IPv6');
    }
    this.family = 4;
    this.lo4 = start;
    this.hi4 = end;
  }

  add6(start: bigint, end: bigint): void {
    if (this.family === 6) {
      if (start < this.lo6) throw new Error('aggregate: prefixes out of address order');
      if (start <= this.hi6 + 1n) {
        if (end > this.hi6) this.hi6 = end;
        return;
      }
      cidrs6(this.lo6, this.hi6, this.out);
    } else if (this.family === 4) {
      cidrs4(this.lo4, this.hi4, this.out);
    }
    this.family = 6;
    this.lo6 = start;
    this.hi6 = end;
  }

  finish(): void {
    if (this.family === 4) cidrs4(this.lo4, this.hi4, this.out);
    if (this.family === 6) cidrs6(this.lo6, this.hi6, this.out);
    this.family = 0;
  }

  /** The CIDRs closed since the last drain, handed over: the caller may keep the array. */
  drain(): readonly string[] {
    if (this.out.length === 0) return NONE;
    const out = this.out;
    this.out = [];
    return out;
  }
}

const NONE: readonly string[] = Object.freeze([]);
const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

/** IPv4 in doubles, which hold every 32-bit address exactly: no BigInt on the hot path. */
function cidrs4(lo: number, hi: number, out: string[]): void {
  while (lo <= hi) {
    // Trailing zero bits of lo: the largest block aligned at lo (`lo & -lo` works modulo 2^32).
    const align = lo === 0 ? 32 : 31 - Math.clz32(lo & -lo);
    const span = hi - lo + 1;
    const fit = span >= POW2[32]! ? 32 : 31 - Math.clz32(span);
    const bits = align < fit ? align : fit;
    out.push(`${lo >>> 24}.${(lo >>> 16) & 255}.${(lo >>> 8) & 255}.${lo & 255}/${32 - bits}`);
    lo += POW2[bits]!;
  }
}

function cidrs6(lo: bigint, hi: bigint, out: string[]): void {
  while (lo <= hi) {
    const align = lo === 0n ? 128 : bitLength(lo & -lo) - 1;
    const fit = bitLength(hi - lo + 1n) - 1;
    const bits = align < fit ? align : fit;
    out.push(`${formatAddress(6, lo)}/${128 - bits}`);
    lo += 1n << BigInt(bits);
  }
}

const bitLength = (n: bigint): number => n.toString(2).length;

/** The value of lowercase hex digits text[from..to), as the store writes them in keys. */
function hexValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    value = value * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return value;
}
