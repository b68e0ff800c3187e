/**
 * AS names saved as bytes and read back without parsing (the prebuilt default tables,
 * src/node-files/origin-cache.ts): the ASNs in ascending order as uint32, where each name's
 * bytes end as uint32, then the names' UTF-8 bytes. Like AsNames (src/core/as-names.ts), a name
 * becomes a string only when asked for; it is found by a binary search of the ASNs, so loading
 * builds nothing (AsNames' index would be a 2 MB array filled by a pass over 84,000 entries).
 * Names are saved as AsNames gives them, doubled quotes already undone.
 */
export class PackedAsNames {
  private readonly decoder = new TextDecoder();
  /** Names decoded once: a lookup answer names its AS, and a few thousand ASes get most lookups. */
  private readonly decoded = new Map<number, string | null>();

  private constructor(
    private readonly asns: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly pool: Uint8Array,
  ) {}

  /** The names as bytes, `count` of them: the header of the file they go in records it. */
  static pack(names: ReadonlyMap<number, string>): { bytes: Uint8Array; count: number } {
    const asns = [...names.keys()].sort((a, b) => a - b);
    const encoder = new TextEncoder();
    const encoded = asns.map((asn) => encoder.encode(names.get(asn)!));
    const poolBytes = encoded.reduce((sum, e) => sum + e.length, 0);
    const bytes = new Uint8Array(asns.length * 8 + poolBytes);
    const words = new Uint32Array(bytes.buffer, 0, asns.length * 2);
    let end = 0;
    asns.forEach((asn, i) => {
      bytes.set(encoded[i]!, asns.length * 8 + end);
      end += encoded[i]!.length;
      words[i] = asn;
      words[asns.length + i] = end;
    });
    return { bytes, count: asns.length };
  }

  /**
   * Names over bytes from `pack` (not copied), or null when they do not hold together: too
   * short, ASNs not strictly ascending, or a name ending before the previous or past the end.
   */
  static unpack(bytes: Uint8Array, count: number): PackedAsNames | null {
    if (!Number.isSafeInteger(count) || count < 0 || bytes.length < count * 8) return null;
    // Uint32Array views need 4-byte alignment; a read into a fresh buffer has it.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    const asns = new Uint32Array(aligned.buffer, aligned.byteOffset, count);
    const ends = new Uint32Array(aligned.buffer, aligned.byteOffset + count * 4, count);
    const pool = aligned.subarray(count * 8);
    for (let i = 1; i < count; i++) if (asns[i]! <= asns[i - 1]! || ends[i]! < ends[i - 1]!) return null;
    if ((count > 0 ? ends[count - 1] : 0) !== pool.length) return null;
    return new PackedAsNames(asns, ends, pool);
  }

  get size(): number {
    return this.asns.length;
  }

  get(asn: number): string | null {
    const known = this.decoded.get(asn);
    if (known !== undefined) return known;
    const name = this.find(asn);
    if (this.decoded.size >= 65_536) this.decoded.clear();
    this.decoded.set(asn, name);
    return name;
  }

  private find(asn: number): string | null {
    const asns = this.asns;
    let lo = 0;
    let hi = asns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (asns[mid]! < asn) lo = mid + 1;
      else hi = mid;
    }
    if (lo === asns.length || asns[lo] !== asn) return null;
    return this.decoder.decode(this.pool.subarray(lo === 0 ? 0 : this.ends[lo - 1], this.ends[lo]));
  }
}
