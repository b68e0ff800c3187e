import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { openStore, withoutAutocheckpoint } from '../../src/store/open-store.js';
import { UPSERT_LIST } from '../../src/store/apply-batch.js';
import { initTestNode } from '../helpers/nodes.js';
import { loadConfig } from '../../src/config/config.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parsePrefix } from '../../src/core/prefix.js';
import { spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, publicAddresses } from './bench-data.js';

const BATCH = 100_000;
const WORKER = fileURLToPath(new URL('./pull-worker.mjs', import.meta.url));

/**
 * Pull + verify + merge of a 100,000-entry batch and of a 1,000,000-entry history (ten
 * batches), end to end over HTTP from a real `spamx serve`, against the baseline: a plain
 * better-sqlite3 prepared upsert of the same rows into the same table, same pragmas (and, like
 * a pulled batch, no automatic checkpoint in the commit), one transaction per 100,000 rows, in
 * the same run.
 */
export async function pullBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-');
  try {
    const addresses = publicAddresses(10 * BATCH);
    const single = await makePublisher(tmp.path, 'cn-isc', addresses.slice(0, BATCH), 1);
    const history = await makePublisher(tmp.path, 'hk-ofta', addresses, 10);
    const servers = [await spawnServe(single), await spawnServe(history)];
    try {
      for (const [label, peer, entries, url] of [
        ['100k batch', 'cn-isc', BATCH, servers[0]!.url],
        ['1M history (10 batches)', 'hk-ofta', 10 * BATCH, servers[1]!.url],
      ] as const) {
        const spamx: number[] = [];
        const baseline: number[] = [];
        const rss: number[] = [];
        const projection: number[] = [];
        for (let run = 0; run < runs; run++) {
          // Each side starts with the disk's write-back done: otherwise the one measured second
          // pays for flushing what the other wrote (the baseline's million rows are 300 MB).
          execFileSync('sync');
          baseline.push(baselineUpsert(join(tmp.path, `baseline-${peer}-${run}.db`), addresses.slice(0, entries)));
          const dir = await pullerDir(tmp.path, `${peer}-run${run}`, url);
          execFileSync('sync');
          // The allocator settings README's systemd unit sets for the daemon (see "Deploying").
          const env = { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
          const out = JSON.parse(execFileSync(process.execPath, [WORKER, dir, peer], { encoding: 'utf8', env })) as {
            entries: number;
            ms: number;
            projectMs: number;
            maxRssMb: number;
          };
          if (out.entries !== entries) throw new Error(`pulled ${out.entries} entries, expected ${entries}`);
          spamx.push(entries / (out.ms / 1000));
          if (process.env.BENCH_VERBOSE) console.log(`  run ${run}: spamx ${out.ms.toFixed(0)} ms, baseline ${(entries / baseline.at(-1)! * 1000).toFixed(0)} ms, rss ${out.maxRssMb.toFixed(0)}`);
          rss.push(out.maxRssMb);
          projection.push(entries / (out.projectMs / 1000));
        }
        const s = median(spamx);
        const b = median(baseline);
        console.log(
          `pull ${label}: spamx ${fmt(s)} entries/s, baseline upsert ${fmt(b)} rows/s, ratio ${(s / b).toFixed(2)}x ` +
            `(target >= 0.5x), puller peak RSS ${median(rss).toFixed(0)} MB (target < 300 MB); medians of ${runs}`,
        );
        console.log(`  then projecting those entries into the served (effective) list: ${fmt(median(projection))} entries/s`);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  } finally {
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function makePublisher(root: string, id: string, addresses: readonly string[], batches: number): Promise<string> {
  const dir = await initTestNode(root, { id });
  const node = await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'warn' }) });
  try {
    const per = addresses.length / batches;
    for (let b = 0; b < batches; b++) {
      node.reportText(addresses.slice(b * per, (b + 1) * per).join('\n'));
      await node.publish();
    }
    // In steady state: its served list projected, so the serving process is not busy with it.
    node.project();
  } finally {
    await node.destroy();
  }
  return dir;
}

async function pullerDir(root: string, name: string, publisherUrl: string): Promise<string> {
  const dir = await initTestNode(root, { id: `puller-${name}` });
  const descriptor = parseDescriptor(await (await fetch(`${publisherUrl}/.well-known/spamx`)).json(), publisherUrl);
  await pinPeer(loadConfig(dir), descriptor, { url: publisherUrl });
  return dir;
}

/** The baseline: the same rows upserted with one prepared statement, 100,000 per transaction. */
function baselineUpsert(path: string, addresses: readonly string[]): number {
  const store = openStore(path);
  try {
    const upsert = store.db.prepare(UPSERT_LIST);
    const now = Date.now();
    const rows = addresses.map((a) => {
      const p = parsePrefix(a);
      if (!p.ok) throw new Error(a);
      return [p.prefix.key, p.prefix.text] as const;
    });
    const started = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      // As spamx applies a pulled batch: without SQLite's automatic checkpoint in the commit
      // (spamx checkpoints on its reader thread instead; store/open-store.ts).
      withoutAutocheckpoint(store, () =>
        store.db.transaction(() => {
          for (let j = i; j < Math.min(i + BATCH, rows.length); j++) {
            const [key, text] = rows[j]!;
            upsert.run(key, 'bench', text, now, now, 1, now + 1, 'spam-origin', 1);
          }
        })(),
      );
    }
    return addresses.length / ((performance.now() - started) / 1000);
  } finally {
    store.close();
  }
}
