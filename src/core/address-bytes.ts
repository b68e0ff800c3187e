/**
 * Addresses read straight from bytes (ASCII text in a Buffer), for the origin data loaders: the
 * default data is ~40 MB of CSV, and loading it within 200 ms leaves no room for a string per
 * field or a BigInt per IPv6 address. An IPv6 address is four unsigned 32-bit words, most
 * significant first. Each reader returns -1 (or false) on bad input; callers word the error.
 */

const TWO32 = 2 ** 32;

/** A decimal integer of 1-10 digits in bytes[from, to) up to 2^32 - 1, else -1. */
export function decimal32(bytes: Uint8Array, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value < TWO32 ? value : -1;
}

/** A strict dotted quad (four parts 0-255, no leading zeros) in bytes[from, to), else -1. */
export function dottedQuad(bytes: Uint8Array, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? bytes[i]! : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3 && !(digits === 1 && part === 0)) {
      part = part * 10 + c - 0x30;
      digits++;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/** Scratch for the eight 16-bit groups of one address (module state: no allocation per call). */
const groups = new Int32Array(8);

/**
 * RFC 4291 §2.2 text (any case, one `::` at most, an optional dotted-quad tail, no zone) in
 * bytes[from, to) into out[at..at+3]. False when it is not an IPv6 address.
 */
export function ipv6Words(bytes: Uint8Array, from: number, to: number, out: Uint32Array, at: number): boolean {
  return ipv6Until(bytes, from, to, out, at) === to;
}

/**
 * An IPv6 address from bytes[from], read up to the first byte that cannot continue it (a comma,
 * a line end, or `to`), into out[at..at+3]. Returns where it stopped, or -1 when the text read
 * is not an address. One pass, no string: the CSV loaders read 400,000 addresses with it.
 */
export function ipv6Until(b: Uint8Array, from: number, to: number, out: Uint32Array, at: number): number {
  let count = 0;
  let gap = -1;
  let i = from;
  if (i + 1 < to && b[i] === 0x3a) {
    if (b[i + 1] !== 0x3a) return -1;
    gap = 0;
    i += 2;
    if (i >= to || !isHex(b[i]!)) return fill(0, 0, out, at) ? i : -1;
  }
  for (;;) {
    let value = 0;
    let digits = 0;
    const groupStart = i;
    for (; i < to; i++) {
      const d = HEX_VALUE[b[i]!]!;
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
    }
    if (i < to && b[i] === 0x2e) {
      // An embedded IPv4 tail fills the last two groups.
      let e = groupStart;
      while (e < to && (b[e] === 0x2e || (b[e]! >= 0x30 && b[e]! <= 0x39))) e++;
      const v4 = count > 6 ? -1 : dottedQuad(b, groupStart, e);
      if (v4 < 0) return -1;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = e;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return -1;
    groups[count++] = value;
    if (i >= to || b[i] !== 0x3a) break;
    i++;
    if (i < to && b[i] === 0x3a) {
      if (gap >= 0) return -1;
      gap = count;
      i++;
      if (i >= to || !isHex(b[i]!)) break;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return -1;
  return fill(count, gap, out, at) ? i : -1;
}

/** Each byte's hex digit value, or -1: one load per character instead of range tests. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) HEX_VALUE['0123456789abcdef'.charCodeAt(c)] = HEX_VALUE['0123456789ABCDEF'.charCodeAt(c)] = c;

function isHex(c: number): boolean {
  return HEX_VALUE[c]! >= 0;
}

/** Writes the groups into words, the `::` gap (at group index `gap`, or -1) expanded to zeros. */
function fill(count: number, gap: number, out: Uint32Array, at: number): boolean {
  if (gap >= 0) {
    const zeros = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + zeros] = groups[k]!;
    for (let k = gap; k < gap + zeros; k++) groups[k] = 0;
  }
  out[at] = groups[0]! * 0x10000 + groups[1]!;
  out[at + 1] = groups[2]! * 0x10000 + groups[3]!;
  out[at + 2] = groups[4]! * 0x10000 + groups[5]!;
  out[at + 3] = groups[6]! * 0x10000 + groups[7]!;
  return true;
}

/**
 * A decimal integer below 2^128 in bytes[from, to) into out[at..at+3] (the `-ipv6-num.csv`
 * form), by multiply-and-add over the four words: each product stays under 2^36, exact in a double.
 */
export function decimal128(bytes: Uint8Array, from: number, to: number, out: Uint32Array, at: number): boolean {
  if (to <= from || to - from > 39) return false;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return false;
    let t = w3 * 10 + d;
    w3 = t % TWO32;
    t = w2 * 10 + Math.floor(t / TWO32);
    w2 = t % TWO32;
    t = w1 * 10 + Math.floor(t / TWO32);
    w1 = t % TWO32;
    t = w0 * 10 + Math.floor(t / TWO32);
    w0 = t % TWO32;
    if (t >= TWO32) return false;
  }
  out[at] = w0;
  out[at + 1] = w1;
  out[at + 2] = w2;
  out[at + 3] = w3;
  return true;
}

/** Four words as a bigint (the public API's IPv6 form; off the lookup path). */
export function wordsToBigint(words: ArrayLike<number>, at: number): bigint {
  return (
    (BigInt(words[at]!) << 96n) | (BigInt(words[at + 1]!) << 64n) | (BigInt(words[at + 2]!) << 32n) | BigInt(words[at + 3]!)
  );
}

/** A bigint below 2^128 into out[at..at+3]. */
export function bigintToWords(value: bigint, out: Uint32Array, at: number): void {
  out[at] = Number((value >> 96n) & 0xffffffffn);
  out[at + 1] = Number((value >> 64n) & 0xffffffffn);
  out[at + 2] = Number((value >> 32n) & 0xffffffffn);
  out[at + 3] = Number(value & 0xffffffffn);
}
