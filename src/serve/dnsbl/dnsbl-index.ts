/**
 * The effective list in memory, shaped for one question asked many thousand times a second:
 * which listed pieces cover this address, and whose are they? Per family and per prefix length
 * present, a Map from the masked address to the piece's sources, so a lookup costs one Map probe
 * per distinct length (a handful), whatever the list's size. IPv4 keys are int32 numbers (small
 * integers, no allocation); IPv6 keys are the prefix's leading hex nibbles, which a DNSBL query
 * name spells out already (RFC 5782 §2.4).
 *
 * Pieces can overlap (one centre lists a /24, another a /32 inside it), so a lookup unions the
 * sources of every covering piece.
 */
export class DnsblIndex {
  private readonly v4 = new Map<number, Map<number, string>>();
  private readonly v6 = new Map<number, Map<string, string>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  /** One shared string per distinct source set: a million pieces hold a few dozen strings. */
  private readonly interned = new Map<string, string>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Lists (or re-lists with new sources) the piece with this store key (core/prefix.ts
   * `prefixKey`: family digit, start address in fixed-width hex, length in two hex digits).
   */
  set(key: string, sources: string): void {
    const piece = parseKey(key);
    if (!piece) return;
    let shared = this.interned.get(sources);
    if (shared === undefined) this.interned.set(sources, (shared = sources));
    if (piece.family === 4) {
      const map = this.v4Map(piece.length);
      if (!map.has(piece.v4)) this.count++;
      map.set(piece.v4, shared);
    } else {
      const map = this.v6Map(piece.length);
      if (!map.has(piece.v6)) this.count++;
      map.set(piece.v6, shared);
    }
  }

  delete(key: string): void {
    const piece = parseKey(key);
    if (!piece) return;
    const removed = piece.family === 4 ? this.v4.get(piece.length)?.delete(piece.v4) : this.v6.get(piece.length)?.delete(piece.v6);
    if (removed) this.count--;
  }

  /** Sources (sorted, space-separated) of the pieces covering an IPv4 address, or undefined. */
  lookupV4(address: number): string | undefined {
    let found: string | undefined;
    let more: string[] | undefined;
    for (const length of this.v4Lengths) {
      const sources = this.v4.get(length)!.get((address & V4_MASK[length]!) | 0);
      if (sources === undefined) continue;
      if (found === undefined) found = sources;
      else (more ??= [found]).push(sources);
    }
    return more ? unionOf(more) : found;
  }

  /** The same for an IPv6 address given as its 32 hex nibbles, most significant first. */
  lookupV6(nibbles: string): string | undefined {
    let found: string | undefined;
    let more: string[] | undefined;
    for (const length of this.v6Lengths) {
      const sources = this.v6.get(length)!.get(v6KeyOf(nibbles, length));
      if (sources === undefined) continue;
      if (found === undefined) found = sources;
      else (more ??= [found]).push(sources);
    }
    return more ? unionOf(more) : found;
  }

  private v4Map(length: number): Map<number, string> {
    let map = this.v4.get(length);
    if (!map) {
      this.v4.set(length, (map = new Map()));
      this.v4Lengths = [...this.v4.keys()].sort((a, b) => a - b);
    }
    return map;
  }

  private v6Map(length: number): Map<string, string> {
    let map = this.v6.get(length);
    if (!map) {
      this.v6.set(length, (map = new Map()));
      this.v6Lengths = [...this.v6.keys()].sort((a, b) => a - b);
    }
    return map;
  }
}

/** The netmask of each IPv4 length as an int32, so masking never leaves small integers. */
const V4_MASK = Array.from({ length: 33 }, (_, length) => (length === 0 ? 0 : -1 << (32 - length)));
const NIBBLE_MASK = [0xf, 0x8, 0xc, 0xe];

/** The leading nibbles a /length covers, the last one masked to the bits inside the prefix. */
function v6KeyOf(nibbles: string, length: number): string {
  const whole = length >> 2;
  const bits = length & 3;
  if (bits === 0) return nibbles.slice(0, whole);
  const partial = parseInt(nibbles[whole]!, 16) & NIBBLE_MASK[bits]!;
  return nibbles.slice(0, whole) + partial.toString(16);
}

type ParsedKey = { family: 4; length: number; v4: number; v6: '' } | { family: 6; length: number; v4: 0; v6: string };

function parseKey(key: string): ParsedKey | undefined {
  const length = parseInt(key.slice(-2), 16);
  if (key[0] === '4' && key.length === 11 && length <= 32) return { family: 4, length, v4: parseInt(key.slice(1, 9), 16) | 0, v6: '' };
  if (key[0] === '6' && key.length === 35 && length <= 128) return { family: 6, length, v4: 0, v6: v6KeyOf(key.slice(1, 33), length) };
  return undefined;
}

/** Several pieces' source lists merged into one sorted, space-separated list. */
function unionOf(lists: readonly string[]): string {
  return [...new Set(lists.flatMap((s) => s.split(' ')))].sort().join(' ');
}
