import {
  comparePrefixes,
  prefixContains,
  prefixEnd,
  prefixesOverlap,
  prefixFrom,
  v4Mask,
  type Prefix,
} from './prefix.js';

/**
 * A fixed set of prefixes (the allowlist) answering "is this prefix inside one of yours?" and
 * "which of yours lie inside this prefix?"; the set may hold overlapping prefixes.
 */
export class PrefixSet {
  private readonly sorted: readonly Prefix[];
  /** Member keys by length, per family: prefixes nest or are disjoint, so a member covers p
   * exactly when p truncated to that member's length is the member. */
  private readonly keys = new Set<string>();
  private readonly lengths: Record<4 | 6, number[]> = { 4: [], 6: [] };

  constructor(prefixes: Iterable<Prefix>) {
    this.sorted = [...prefixes].sort(comparePrefixes);
    for (const m of this.sorted) {
      this.keys.add(memberKey(m.family, m.start, m.length));
      if (!this.lengths[m.family].includes(m.length)) this.lengths[m.family].push(m.length);
    }
    this.lengths[4].sort((a, b) => a - b);
    this.lengths[6].sort((a, b) => a - b);
  }

  get size(): number {
    return this.sorted.length;
  }

  members(): readonly Prefix[] {
    return this.sorted;
  }

  /** A member that contains `p` entirely, if any. */
  covering(p: Prefix): Prefix | undefined {
    for (const length of this.lengths[p.family]) {
      if (length > p.length) break;
      const start = truncate(p, length);
      if (this.keys.has(memberKey(p.family, start, length))) return prefixFrom(p.family, start, length);
    }
    return undefined;
  }

  /** Members lying strictly inside `p` (longer than it), in address order. */
  inside(p: Prefix): Prefix[] {
    const out: Prefix[] = [];
    const end = prefixEnd(p);
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.sorted[mid]!;
      if (m.family < p.family || (m.family === p.family && m.start < p.start)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length; i++) {
      const m = this.sorted[i]!;
      if (m.family !== p.family || m.start > end) break;
      if (m.length > p.length && prefixContains(p, m)) out.push(m);
    }
    return out;
  }
}

function memberKey(family: 4 | 6, start: number | bigint, length: number): string {
  return `${family}|${length}|${start}`;
}

function truncate(p: Prefix, length: number): number | bigint {
  if (p.family === 4) return ((p.start as number) & v4Mask(length)) >>> 0;
  const host = BigInt(128 - length);
  return ((p.start as bigint) >> host) << host;
}

/**
 * `p` minus the holes, as the minimal list of CIDR prefixes covering what is left, in address
 * order. Splits p in halves until each half is either clear of every hole (kept whole) or
 * inside one (dropped): at most (hole length − p length) pieces per hole.
 */
export function subtractPrefixes(p: Prefix, holes: readonly Prefix[]): Prefix[] {
  const relevant = holes.filter((h) => prefixesOverlap(h, p));
  if (relevant.length === 0) return [p];
  if (relevant.some((h) => prefixContains(h, p))) return [];
  const bits = p.family === 4 ? 32 : 128;
  const half = bits - p.length - 1;
  const lowStart = p.start;
  const highStart =
    p.family === 4 ? (p.start as number) + 2 ** half : (p.start as bigint) + (1n << BigInt(half));
  const low = prefixFrom(p.family, lowStart, p.length + 1);
  const high = prefixFrom(p.family, highStart, p.length + 1);
  return [...subtractPrefixes(low, relevant), ...subtractPrefixes(high, relevant)];
}
