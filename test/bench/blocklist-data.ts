import { prefixEnd, prefixFrom, type Prefix } from '../../src/core/prefix.js';
import { specialPurposeRange } from '../../src/core/special-purpose.js';
import { loadConfig } from '../../src/config/config.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { prng } from './bench-data.js';

const FIRST = 0x01000000; // 1.0.0.0: 0.0.0.0/8 is special-purpose
const MULTICAST = 0xe0000000; // 224.0.0.0: from here on IPv4 is all special-purpose

/**
 * `count` public IPv4 prefixes in key order, generated walking up the address space so that
 * ten million need no sort and no memory. The mix is what aggregation meets in practice: mostly
 * single hosts, runs of adjacent hosts (merge), /28s and /24s, and hosts inside a listed /24
 * (overlap).
 */
export function* blocklistPrefixes(count: number, seed = 7): Generator<Prefix> {
  const next = prng(seed);
  // About 21 addresses per item on average, so this spreads `count` items over the public space.
  const gapMax = Math.max(2, Math.floor(2 * (3.3e9 / count - 25)));
  let cursor = FIRST;
  let produced = 0;
  const take = (start: number, length: number): Prefix | undefined => {
    const p = prefixFrom(4, start, length);
    const special = specialPurposeRange(p);
    if (!special) return p;
    cursor = Math.max(cursor, Number(prefixEnd(special.prefix)) + 1);
    return undefined;
  };
  while (produced < count) {
    cursor += 1 + Math.floor(next() * gapMax);
    if (cursor >= MULTICAST) throw new Error(`address space exhausted after ${produced} of ${count} prefixes`);
    const kind = next();
    const items: [number, number][] = [];
    if (kind < 0.07) {
      const start = Math.ceil(cursor / 256) * 256;
      items.push([start, 24]);
      if (kind < 0.035) items.push([start + 7, 32]); // a listed host inside a listed /24
      cursor = start + 255;
    } else if (kind < 0.17) {
      const start = Math.ceil(cursor / 16) * 16;
      items.push([start, 28]);
      cursor = start + 15;
    } else if (kind < 0.25) {
      const run = 2 + Math.floor(next() * 5);
      for (let i = 0; i < run; i++) items.push([cursor + i, 32]);
      cursor += run - 1;
    } else {
      items.push([cursor, 32]);
    }
    for (const [start, length] of items) {
      if (produced === count) break;
      const p = take(start, length);
      if (!p) break;
      produced++;
      yield p;
    }
  }
}

const SOURCES = ['cn-isc', 'cn-isc hk-ofta', 'hk-ofta', 'hk-ofta tw-ncc', 'cn-isc hk-ofta tw-ncc'];

/**
 * Writes prefixes straight into the store's `effective` table (one prepared INSERT in one
 * transaction), bypassing batches and projection: export reads nothing else. Expiry is far in
 * the future so opening the node projects nothing away.
 */
export function fillEffective(store: Store, prefixes: Iterable<Prefix>, now: number): number {
  const insert = store.db.prepare(
    `INSERT INTO effective (key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at)
     VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const expires = now + 3650 * 86_400_000;
  store.db.pragma('synchronous = OFF'); // setup only: the measured reads are unaffected
  let rows = 0;
  store.db.transaction(() => {
    for (const p of prefixes) {
      const sources = SOURCES[rows % SOURCES.length]!;
      const seen = now - (rows % 1000) * 60_000;
      insert.run(p.key, p.text, seen - 86_400_000, seen, 1 + (rows % 7), expires, expires, sources, sources.split(' ').length, now);
      rows++;
    }
    store.db
      .prepare(`INSERT INTO meta (name, value) VALUES ('effective_version', '1'), ('effective_updated_at', ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value`)
      .run(String(now));
  })();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.pragma('synchronous = FULL');
  return rows;
}

/** A node directory's store filled with `count` generated pieces (fillEffective); answers their texts. */
export function fillNodeStore(dir: string, count: number, seed: number): Set<string> {
  const store = openStore(loadConfig(dir).paths.database);
  const held = new Set<string>();
  try {
    const prefixes = [...blocklistPrefixes(count, seed)];
    for (const p of prefixes) held.add(p.text);
    fillEffective(store, prefixes, Date.now());
  } finally {
    store.close();
  }
  return held;
}
