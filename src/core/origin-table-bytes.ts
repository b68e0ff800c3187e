import type { SharedOriginTable } from './origin-segments.js';

/** The typed arrays of a table (src/core/origin-segments.ts), all over one buffer. */
export type OriginTableArrays = Pick<SharedOriginTable, 'starts4' | 'ends4' | 'buckets4' | 'starts6' | 'ends6' | 'asn' | 'country' | 'registry'>;

/** Bytes of the buffer holding a table of n4 IPv4 and n6 IPv6 segments. */
export function originTableByteLength(n4: number, n6: number): number {
  const n = n4 + n6;
  return (n4 * 2 + 65537 + n6 * 8 + n) * 4 + n * 2 + n;
}

/**
 * The table's arrays laid over `buffer`, the one layout both a table built from data and one
 * read back from saved bytes use: 4-byte arrays first so every view is aligned.
 */
export function originTableArrays(buffer: SharedArrayBuffer, n4: number, n6: number): OriginTableArrays {
  const n = n4 + n6;
  let at = 0;
  const u32 = (length: number) => {
    const view = new Uint32Array(buffer, at, length);
    at += length * 4;
    return view;
  };
  const starts4 = u32(n4);
  const ends4 = u32(n4);
  const buckets4 = u32(65537);
  const starts6 = u32(n6 * 4);
  const ends6 = u32(n6 * 4);
  const asn = u32(n);
  const country = new Uint16Array(buffer, at, n);
  const registry = new Uint8Array(buffer, at + n * 2, n);
  return { starts4, ends4, buckets4, starts6, ends6, asn, country, registry };
}

/**
 * Whether saved arrays hold together where a lookup relies on them: the IPv4 index rises to n4
 * (a lookup searches between two of its entries), and every registry value names one of
 * `registries`. Not a check of every segment: the file's lengths and header were checked before,
 * and the bytes are this node's own build output. Run once per start, before the loops are
 * compiled, so the common case (no registries: all zero) is one native comparison, not a loop
 * over 600,000 bytes (5-10 ms uncompiled).
 */
export function originArraysConsistent(a: OriginTableArrays, n4: number, registries: number): boolean {
  const b = a.buckets4;
  if (b[0]! > n4 || b[65536] !== n4) return false;
  for (let h = 1; h < b.length; h++) if (b[h]! < b[h - 1]!) return false;
  const r = a.registry;
  if (registries === 0) return Buffer.from(r.buffer, r.byteOffset, r.length).equals(new Uint8Array(r.length));
  for (let i = 0; i < r.length; i++) if (r[i]! > registries) return false;
  return true;
}
