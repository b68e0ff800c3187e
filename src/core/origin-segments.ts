import type { OriginDataset } from './origin.js';

/**
 * The origin table's data (src/core/origin-table.ts) as plain typed arrays over one
 * SharedArrayBuffer: a structured clone (postMessage to a worker thread) shares the memory
 * instead of copying it. AS names are not part of it (a Map of strings cannot be shared).
 *
 * Segments are numbered IPv4 first, then IPv6: segment i < n4 is IPv4 (starts4[i], ends4[i]),
 * segment n4 + j is IPv6 (four words each at starts6[4j], ends6[4j], most significant first).
 * The attribute arrays are indexed by that number. Segments are in address order, never
 * overlap, and addresses in no segment have no origin data.
 */
export interface SharedOriginTable {
  readonly n4: number;
  readonly n6: number;
  readonly starts4: Uint32Array;
  readonly ends4: Uint32Array;
  /**
   * buckets4[h]: the first IPv4 segment ending at or after h << 16 (h = 0..65536, the last
   * being n4). A lookup binary-searches only between buckets4[h] and buckets4[h + 1]: a handful
   * of segments instead of the whole table. Over random addresses, 27 million lookups a second
   * against 9 million for a binary search of the whole table, for 256 KB.
   */
  readonly buckets4: Uint32Array;
  readonly starts6: Uint32Array;
  readonly ends6: Uint32Array;
  /** Two letters packed as uint16 (src/core/origin-ranges.ts packCountry); 0 = none. */
  readonly country: Uint16Array;
  /** 0 = none (AS0 is not an origin). */
  readonly asn: Uint32Array;
  /** 1 + index into `registries`; 0 = none. */
  readonly registry: Uint8Array;
  readonly registries: readonly string[];
  readonly datasets: readonly OriginDataset[];
  readonly digest: string;
}

/** The first IPv4 segment ending at or after addr (n4 when none): the bucket, then a binary search. */
export function firstEnding4(t: SharedOriginTable, addr: number): number {
  const ends = t.ends4;
  const h = addr >>> 16;
  let lo = t.buckets4[h]!;
  let hi = t.buckets4[h + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The IPv4 segment holding addr, or -1. */
export function segment4(t: SharedOriginTable, addr: number): number {
  const i = firstEnding4(t, addr);
  return i < t.n4 && t.starts4[i]! <= addr ? i : -1;
}

/** The first IPv6 segment (0-based among IPv6) ending at or after the address words[at..at+3]. */
export function firstEnding6(t: SharedOriginTable, words: ArrayLike<number>, at: number): number {
  const ends = t.ends6;
  let lo = 0;
  let hi = t.n6;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(ends, mid * 4, words, at)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The IPv6 segment holding the address (numbered n4 + j), or -1. */
export function segment6(t: SharedOriginTable, words: ArrayLike<number>, at: number): number {
  const j = firstEnding6(t, words, at);
  return j < t.n6 && !less(words, at, t.starts6, j * 4) ? t.n4 + j : -1;
}

/** a[ai..ai+3] < b[bi..bi+3] as 128-bit numbers. */
function less(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): boolean {
  for (let w = 0; w < 4; w++) {
    const x = a[ai + w]!;
    const y = b[bi + w]!;
    if (x !== y) return x < y;
  }
  return false;
}

/** Where each IPv4 bucket's segments begin. */
export function buildBuckets4(ends4: Uint32Array, n4: number, out: Uint32Array): void {
  let i = 0;
  for (let h = 0; h < 65536; h++) {
    const first = h * 65536;
    while (i < n4 && ends4[i]! < first) i++;
    out[h] = i;
  }
  out[65536] = n4;
}
