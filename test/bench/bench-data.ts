import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrefix } from '../../src/core/prefix.js';
import { specialPurposeRange } from '../../src/core/special-purpose.js';
import { runCli } from '../helpers/spawn.js';

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

/**
 * Rounds of changes to a node's store made as an operator makes them, with the real CLI: an even
 * round reports `count` fresh /32s the list does not hold (from 114.0.0.0 up), an odd round
 * delists the previous round's; `publish` cuts the batch. For the benchmarks that follow a big
 * list's changes (mirror-bench.ts, zone-bench.ts).
 */
export function changeRounds(dir: string, held: ReadonlySet<string>, tmpDir: string, count: number) {
  let next = 0x72000000; // 114.0.0.0
  let batch: string[] = [];
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--data', dir]);
    if (r.code !== 0) throw new Error(`spamx ${args[0]}: ${r.stderr}`);
  };
  return {
    async change(round: number): Promise<void> {
      if (round % 2 === 1) return cli(['delist', ...batch]);
      batch = [];
      while (batch.length < count) {
        const a = `${next >>> 24}.${(next >>> 16) & 255}.${(next >>> 8) & 255}.${next & 255}`;
        next += 37;
        if (!held.has(`${a}/32`)) batch.push(a);
      }
      const file = join(tmpDir, `round-${round}.txt`);
      writeFileSync(file, `${batch.join('\n')}\n`);
      return cli(['report', file, '--quiet']);
    },
    publish: () => cli(['publish', '--quiet']),
  };
}
