import { loadConfig } from '../../src/config/config.js';
import { loadOriginTable } from '../../src/config/origin-files.js';
import { storeEpoch } from '../../src/store/meta-store.js';
import { openStore } from '../../src/store/open-store.js';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median } from './bench-data.js';
import { blocklistPrefixes, fillEffective } from './blocklist-data.js';
import { spawnServeChild } from './serve-child.js';

/**
 * Issue "origins" targets, measured as subscribers see them: over HTTP from this process against
 * a `spamx serve` child holding a 1,000,000-entry list. `GET /v1/blocklist?country=CN` at least
 * 0.8× the unfiltered `GET /v1/blocklist` of the same store (ratio = unfiltered time / filtered
 * time), and the change stream filtered by country no slower per change read than unfiltered.
 */
const LIST = 1_000_000;
const CHANGES = 200_000;

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const bytes = (await res.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, bytes };
}

/** Pages through `changes` log rows from the start; the time, and how many prefixes came out. */
async function pageChanges(base: string, cursor: string, filter: string): Promise<{ ms: number; prefixes: number }> {
  const started = performance.now();
  let prefixes = 0;
  for (;;) {
    const res = await fetch(`${base}/v1/blocklist/changes?cursor=${cursor}${filter}`);
    if (res.status !== 200) throw new Error(`changes: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { cursor: string; added: string[]; more?: boolean };
    prefixes += page.added.length;
    cursor = page.cursor;
    if (!page.more) break;
  }
  return { ms: performance.now() - started, prefixes };
}

export async function originFilterBench(runs: number): Promise<void> {
  const tmp = tempDir();
  try {
    const dir = await initTestNode(tmp.path, { id: 'bench-origins', config: { subscribers: { public: true, rateLimitPerMinute: 1_000_000 } } });
    const store = openStore(loadConfig(dir).paths.database);
    fillEffective(store, blocklistPrefixes(LIST), Date.now());
    // The change log of the first CHANGES pieces, as projection writes it when they were listed.
    store.db
      .prepare(`INSERT INTO changes (op, key, prefix, at, piece_id, sources) SELECT 'added', key, prefix, listed_at, id, sources FROM effective ORDER BY id LIMIT ?`)
      .run(CHANGES);
    const epoch = storeEpoch(store);
    store.close();
    const digest = loadOriginTable(loadConfig(dir)).digest;
    const child = spawnServeChild(dir);
    try {
      const base = await child.serving;
      const variants = [
        ['txt', `${base}/v1/blocklist`, `${base}/v1/blocklist?country=CN`],
        ['csv', `${base}/v1/blocklist?format=csv`, `${base}/v1/blocklist?format=csv&country=CN`],
      ] as const;
      for (const [name, all, cn] of variants) {
        await timed(all); // warm: page cache, export threads, JIT
        await timed(cn);
        const a: number[] = [];
        const f: number[] = [];
        let bytes = { all: 0, cn: 0 };
        for (let run = 0; run < Math.max(3, runs); run++) {
          const x = await timed(all);
          const y = await timed(cn);
          a.push(x.ms);
          f.push(y.ms);
          bytes = { all: x.bytes, cn: y.bytes };
        }
        const ratio = median(a) / median(f);
        console.log(
          `origins: GET /v1/blocklist format=${name} of ${LIST.toLocaleString('en-US')} pieces over HTTP: unfiltered ${(median(a) / 1000).toFixed(2)} s ` +
            `(${(bytes.all / 1e6).toFixed(1)} MB), country=CN ${(median(f) / 1000).toFixed(2)} s (${(bytes.cn / 1e6).toFixed(1)} MB), ratio ${ratio.toFixed(2)}x (target >= 0.8x)`,
        );
      }
      const plain: number[] = [];
      const cut: number[] = [];
      let counts = { plain: 0, cut: 0 };
      for (let run = 0; run < Math.max(3, runs); run++) {
        const x = await pageChanges(base, `${epoch}.0`, '');
        const y = await pageChanges(base, `${epoch}.0.${digest}`, '&country=CN');
        plain.push(x.ms);
        cut.push(y.ms);
        counts = { plain: x.prefixes, cut: y.prefixes };
      }
      const perChange = (ms: number) => (ms * 1000) / CHANGES;
      console.log(
        `origins: change stream through ${CHANGES.toLocaleString('en-US')} changes: unfiltered ${perChange(median(plain)).toFixed(2)} µs a change (${counts.plain} prefixes), ` +
          `country=CN ${perChange(median(cut)).toFixed(2)} µs a change (${counts.cut} prefixes), ratio ${(median(plain) / median(cut)).toFixed(2)}x (target >= 1.0x)`,
      );
    } finally {
      await child.stop();
    }
  } finally {
    tmp.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await originFilterBench(Number(process.env.BENCH_RUNS ?? 3));
