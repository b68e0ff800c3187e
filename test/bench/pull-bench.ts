import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createdAt, signRequest } from '../../src/core/http-signature.js';
import { join } from 'node:path';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { openStore, withoutAutocheckpoint } from '../../src/store/open-store.js';
import { UPSERT_LIST } from '../../src/store/apply-batch.js';
import { initTestNode, PUBLIC_FEEDS } from '../helpers/nodes.js';
import { loadConfig } from '../../src/config/config.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parsePrefix } from '../../src/core/prefix.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { median, publicAddresses } from './bench-data.js';
import { spawnServeChild } from './serve-child.js';

const BATCH = 100_000;

/**
 * A 100,000-entry batch and a 1,000,000-entry history (ten batches) pulled as an operator sees
 * it: `POST /v1/peers/{id}/pull` to a real `spamx serve` (the puller) from a real `spamx serve`
 * (the publisher), the clock stopped when the puller serves every pulled listing in its
 * effective list (what GET /v1/blocklist, the change stream and the DNSBL serve), not when the
 * batches are stored. Against the baseline: a plain better-sqlite3 prepared upsert of the same
 * rows into the same table, same pragmas (and, like a pulled batch, no automatic checkpoint in
 * the commit), one transaction per 100,000 rows, in the same run. The stored-only figure (the
 * pull request answered) is printed too, for continuity with earlier runs, and the time until
 * `GET /v1/lookup` answers for the pulled listings (the lookup index follows the change log
 * once the projection is done) with the peak RSS by then. Peak RSS is the serving process's.
 */
export async function pullBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-');
  try {
    const addresses = publicAddresses(10 * BATCH);
    const single = await makePublisher(tmp.path, 'cn-isc', addresses.slice(0, BATCH), 1);
    const history = await makePublisher(tmp.path, 'hk-ofta', addresses, 10);
    const servers: ServeProcess[] = [];
    try {
      // Each started inside the try: a second that fails to start must not leave the first running.
      servers.push(await spawnServe(single));
      servers.push(await spawnServe(history));
      for (const [label, peer, entries, url] of [
        ['100k batch', 'cn-isc', BATCH, servers[0]!.url],
        ['1M history (10 batches)', 'hk-ofta', 10 * BATCH, servers[1]!.url],
      ] as const) {
        const served: number[] = [];
        const lookedUp: number[] = [];
        const lookupRss: number[] = [];
        const stored: number[] = [];
        const baseline: number[] = [];
        const rss: number[] = [];
        for (let run = 0; run < runs; run++) {
          // Each side starts with the disk's write-back done: otherwise the one measured second
          // pays for flushing what the other wrote (the baseline's million rows are 300 MB).
          execFileSync('sync');
          baseline.push(baselineUpsert(join(tmp.path, `baseline-${peer}-${run}.db`), addresses.slice(0, entries)));
          const dir = await pullerDir(tmp.path, `${peer}-run${run}`, url, peer === 'cn-isc' ? single : history);
          execFileSync('sync');
          const out = await measuredPull(dir, peer, entries, addresses[entries - 1]!);
          served.push(entries / (out.servedMs / 1000));
          stored.push(entries / (out.storedMs / 1000));
          rss.push(out.maxRssMb);
          lookedUp.push(out.lookupMs);
          lookupRss.push(out.lookupRssMb);
          if (process.env.BENCH_VERBOSE) {
            console.log(`  run ${run}: stored ${out.storedMs.toFixed(0)} ms, served ${out.servedMs.toFixed(0)} ms, lookups current ${out.lookupMs.toFixed(0)} ms, baseline ${((entries / baseline.at(-1)!) * 1000).toFixed(0)} ms, rss ${out.maxRssMb.toFixed(0)} MB`);
          }
        }
        const b = median(baseline);
        const s = median(served);
        console.log(
          `pull ${label}${PARTNERS ? ' (federation.access partners: signed requests)' : ''}: pull request to listings served ${fmt(s)} entries/s, baseline upsert ${fmt(b)} rows/s, ratio ${(s / b).toFixed(2)}x ` +
            `(target >= 0.5x), serving process peak RSS ${median(rss).toFixed(0)} MB (target < 300 MB); medians of ${runs}`,
        );
        console.log(
          `  batches stored (the pull request answered): ${fmt(median(stored))} entries/s, ratio ${(median(stored) / b).toFixed(2)}x; ` +
            `GET /v1/lookup answers for the pulled listings ${(median(lookedUp) / 1000).toFixed(1)} s after the pull request, peak RSS by then ${median(lookupRss).toFixed(0)} MB`,
        );
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  } finally {
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * One measured pull into a fresh `spamx serve`, started and ready before the clock starts. The
 * served list is watched from this process on a read-only connection to the puller's store:
 * every pulled entry is a new piece, so the change log reaching `entries` rows means all are
 * served (checked after, with the blocklist itself).
 */
async function measuredPull(dir: string, peer: string, entries: number, last: string): Promise<{ storedMs: number; servedMs: number; lookupMs: number; maxRssMb: number; lookupRssMb: number }> {
  const node = spawnServeChild(dir);
  try {
    const url = await node.serving;
    await waitFor('the puller to be ready', async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 60_000, intervalMs: 20 });
    const db = new Database(loadConfig(dir).paths.database, { readonly: true, fileMustExist: true });
    try {
      const lastChange = db.prepare('SELECT ifnull(max(id), 0) FROM changes').pluck();
      const cpu0 = node.cpuSeconds();
      const started = performance.now();
      const answer = await fetch(`${url}/v1/peers/${peer}/pull`, { method: 'POST', headers: { authorization: `Bearer ${node.token}` } });
      const report = (await answer.json()) as { ok: boolean; listed: number; delisted: number; refused: number };
      const storedAt = performance.now();
      const cpu1 = node.cpuSeconds();
      const storedRssMb = node.peakRssMb();
      if (!report.ok) throw new Error(`pull failed: ${JSON.stringify(report)}`);
      if (report.listed + report.delisted + report.refused !== entries) throw new Error(`pulled ${report.listed} entries, expected ${entries}`);
      // Each check answers the time it first held, on this process's clock.
      const servedAt = await waitFor('every pulled listing served', () => (lastChange.get() as number) >= entries && performance.now(), { timeoutMs: 600_000, intervalMs: 10 });
      const cpu2 = node.cpuSeconds();
      const maxRssMb = node.peakRssMb();
      // Lookups answer from the read models, which follow the change log after the projection.
      const lookupAt = await waitFor(
        'lookups to answer for the pulled listings',
        async () => (await (await fetch(`${url}/v1/lookup/${last}`)).text()).includes('"listed":true') && performance.now(),
        { timeoutMs: 600_000, intervalMs: 50 },
      );
      const lookupRssMb = node.peakRssMb();
      if (process.env.BENCH_VERBOSE) {
        const used = (a: { main: number; others: number }, b: typeof a) => `main ${(b.main - a.main).toFixed(1)} s, others ${(b.others - a.others).toFixed(1)} s`;
        console.log(
          `  puller CPU: storing ${used(cpu0, cpu1)} in ${((storedAt - started) / 1000).toFixed(1)} s (peak RSS ${storedRssMb.toFixed(0)} MB); ` +
            `then ${used(cpu1, cpu2)} in ${((servedAt - storedAt) / 1000).toFixed(1)} s`,
        );
      }
      const listed = (await (await fetch(`${url}/v1/blocklist`)).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
      if (listed !== entries) throw new Error(`GET /v1/blocklist serves ${listed} entries, expected ${entries}`);
      return { storedMs: storedAt - started, servedMs: servedAt - started, lookupMs: lookupAt - started, maxRssMb, lookupRssMb };
    } finally {
      db.close();
    }
  } finally {
    await node.stop();
  }
}

/**
 * BENCH_PULL_ACCESS=partners runs the publishers with `federation.access: "partners"`, pinning
 * each puller: every request of the pull is signed and checked (issue 16: signed requests must
 * not move this ratio). By default they serve anyone, as before.
 */
const PARTNERS = process.env.BENCH_PULL_ACCESS === 'partners';

async function makePublisher(root: string, id: string, addresses: readonly string[], batches: number): Promise<string> {
  const dir = await initTestNode(root, { id, config: PARTNERS ? { federation: { access: 'partners' } } : PUBLIC_FEEDS });
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

async function pullerDir(root: string, name: string, publisherUrl: string, publisherDir: string): Promise<string> {
  const dir = await initTestNode(root, { id: `puller-${name}` });
  const descriptor = parseDescriptor(await (await fetch(`${publisherUrl}/.well-known/spamx`)).json(), publisherUrl);
  await pinPeer(loadConfig(dir), descriptor, { url: publisherUrl });
  if (PARTNERS) {
    // The running publisher pins the puller (its peers directory is re-read on change) and then
    // serves it only signed requests; the clock starts once it does.
    const own = JSON.parse((await runCli(['descriptor', '--data', dir, '--url', 'http://127.0.0.1:9'])).stdout) as unknown;
    await pinPeer(loadConfig(publisherDir), parseDescriptor(own, 'http://127.0.0.1:9'), { url: 'http://127.0.0.1:9', schedule: '0 0 1 1 *' });
    const key = createPrivateKey({ key: JSON.parse(readFileSync(loadConfig(dir).paths.privateKey, 'utf8')) as JsonWebKey, format: 'jwk' });
    const kid = String(parseDescriptor(own, 'http://127.0.0.1:9').keys.keys[0]!.kid);
    const pages = `${publisherUrl}/v1/feeds/${descriptor.id}/batches?after=0&limit=1`;
    await waitFor('the publisher to serve the puller', async () => {
      const h = signRequest({ method: 'HEAD', targetUri: pages, created: createdAt(Date.now()), kid, privateKey: key });
      return (await fetch(pages, { method: 'HEAD', headers: { 'signature-input': h.signatureInput, signature: h.signature } })).ok;
    }, { timeoutMs: 60_000, intervalMs: 1_100 });
  }
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
            upsert.run(key, 'bench', text, now, now, 1, now + 1, 'spam-origin', 1, 1);
          }
        })(),
      );
    }
    return addresses.length / ((performance.now() - started) / 1000);
  } finally {
    store.close();
  }
}
