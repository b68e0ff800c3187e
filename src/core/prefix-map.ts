/**
 * A map from prefixes (by store key, core/prefix.ts `prefixKey`) to values, shaped for the
 * question hot paths ask thousands of times a second: which stored prefixes contain this
 * address? Per family and per prefix length present, a Map from the masked address to the value,
 * so answering costs one Map probe per distinct length present (a handful), whatever the size.
 * IPv4 keys are int32 numbers (small integers, no allocation); IPv6 keys are the prefix's leading
 * hex nibbles, the form a DNSBL query name spells out already (RFC 5782 §2.4).
 */
export class PrefixMap<T> {
  /** Indexed by prefix length (an array: one less hash probe per length on the hot path). */
  private readonly v4: (Map<number, T> | undefined)[] = [];
  private readonly v6: (Map<string, T> | undefined)[] = [];
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    const k = parseKey(key);
    if (!k) return undefined;
    return k.family === 4 ? this.v4[k.length]?.get(k.v4) : this.v6[k.length]?.get(k.v6);
  }

  /** Sets the value of the prefix with this store key; keys that are not store keys are ignored. */
  set(key: string, value: T): void {
    const k = parseKey(key);
    if (!k) return;
    if (k.family === 4) {
      const map = this.v4Map(k.length);
      if (!map.has(k.v4)) this.count++;
      map.set(k.v4, value);
    } else {
      const map = this.v6Map(k.length);
      if (!map.has(k.v6)) this.count++;
      map.set(k.v6, value);
    }
  }

  delete(key: string): boolean {
    const k = parseKey(key);
    if (!k) return false;
    const removed = (k.family === 4 ? this.v4[k.length]?.delete(k.v4) : this.v6[k.length]?.delete(k.v6)) ?? false;
    if (removed) this.count--;
    return removed;
  }

  /**
   * Appends to `out` the values of the prefixes containing the IPv4 address (as a 32-bit
   * number, signed or not), shortest prefix first; returns how many it appended. The caller
   * owns `out`, so a hot path can reuse one array and allocate nothing. `lengths`, when given,
   * receives each match's prefix length.
   */
  coveringV4(address: number, out: T[], lengths?: number[]): number {
    let found = 0;
    for (const length of this.v4Lengths) {
      const value = this.v4[length]!.get((address & V4_MASK[length]!) | 0);
      if (value !== undefined) {
        out.push(value);
        lengths?.push(length);
        found++;
      }
    }
    return found;
  }

  /** The same for an IPv6 address given as its 32 hex nibbles, most significant first. */
  coveringV6(nibbles: string, out: T[], lengths?: number[]): number {
    let found = 0;
    for (const length of this.v6Lengths) {
      const value = this.v6[length]!.get(v6KeyOf(nibbles, length));
      if (value !== undefined) {
        out.push(value);
        lengths?.push(length);
        found++;
      }
    }
    return found;
  }

  private v4Map(length: number): Map<number, T> {
    return mapOfLength(this.v4, this.v4Lengths, length);
  }

  private v6Map(length: number): Map<string, T> {
    return mapOfLength(this.v6, this.v6Lengths, length);
  }
}

/** The Map for one prefix length, created (and its length listed, in order) on first use. */
function mapOfLength<K, T>(maps: (Map<K, T> | undefined)[], lengths: number[], length: number): Map<K, T> {
  let map = maps[length];
  if (!map) {
    maps[length] = map = new Map();
    lengths.push(length);
    lengths.sort((a, b) => a - b);
  }
  return map;
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
