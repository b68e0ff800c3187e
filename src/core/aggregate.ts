import { parsePrefix, prefixEnd, prefixFrom, type Family, type Prefix } from './prefix.js';

/**
 * The minimal CIDR cover of a set of prefixes (what `iprange` prints): overlapping and adjacent
 * prefixes merge into ranges, and each range is cut into the fewest aligned CIDR blocks.
 * `prefixes` must come in address order (IPv4 before IPv6, as the store's keys order them);
 * memory stays constant however long the input.
 */
export function* aggregatePrefixes(prefixes: Iterable<string>): Generator<Prefix> {
  let family: Family | undefined;
  let lo: bigint = 0n;
  let hi: bigint = -1n;
  for (const text of prefixes) {
    const parsed = parsePrefix(text);
    if (!parsed.ok) continue;
    const p = parsed.prefix;
    const start = BigInt(p.start);
    const end = BigInt(prefixEnd(p));
    if (family === p.family && start <= hi + 1n) {
      if (end > hi) hi = end;
      continue;
    }
    if (family !== undefined) yield* rangeToCidrs(family, lo, hi);
    family = p.family;
    lo = start;
    hi = end;
  }
  if (family !== undefined) yield* rangeToCidrs(family, lo, hi);
}

/** The fewest CIDR blocks exactly covering [lo, hi]: at each step the largest aligned block that fits. */
export function* rangeToCidrs(family: Family, lo: bigint, hi: bigint): Generator<Prefix> {
  const bits = family === 4 ? 32 : 128;
  while (lo <= hi) {
    let size = 0; // log2 of the block
    while (size < bits && (lo & ((1n << BigInt(size + 1)) - 1n)) === 0n && lo + (1n << BigInt(size + 1)) - 1n <= hi) size++;
    yield prefixFrom(family, family === 4 ? Number(lo) : lo, bits - size);
    lo += 1n << BigInt(size);
  }
}
