import { parsePrefix } from '../../src/core/prefix.js';
import { specialPurposeRange } from '../../src/core/special-purpose.js';

/** Seeded xorshift32: the same run of addresses every time. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * `count` distinct public unicast IPv4 addresses in random order, as spam sources arrive:
 * random keys are the hard case for a B-tree, for spamx and the baseline alike.
 */
export function publicAddresses(count: number, seed = 42): string[] {
  const next = prng(seed);
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < count) {
    const n = Math.floor(next() * 2 ** 32);
    const text = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (seen.has(text)) continue;
    const p = parsePrefix(text);
    if (!p.ok || specialPurposeRange(p.prefix)) continue;
    seen.add(text);
    out.push(text);
  }
  return out;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
