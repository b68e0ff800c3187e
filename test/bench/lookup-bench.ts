import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, publicAddresses } from './bench-data.js';

const LOAD = fileURLToPath(new URL('./http-load.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

/**
 * `GET /v1/lookup/{ip}` requests/s against a bare hono route on the same server (`/healthz`,
 * which answers a constant), both driven by the same load generator in its own process, on a
 * node holding 100,000 listings. Half the looked-up addresses are listed. Target ≥ 0.8×. Two
 * runs: a working set of 1,000 addresses asked again and again (answers come from the lookup
 * cache), and 100,000 distinct ones (every answer computed from the in-memory read models, src/read/).
 */
export async function lookupBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-lookup-');
  const node = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo', config: { subscribers: { public: true, rateLimitPerMinute: 1_000_000 } } }));
  try {
    const addresses = publicAddresses(100_000, 7);
    node.reportText(addresses.join('\n'));
    await node.publish();
    node.project();
    const unlisted = publicAddresses(150_000, 7).slice(100_000);
    const urls = (n: number) => addresses.slice(0, n / 2).flatMap((a, i) => [`${node.url}/v1/lookup/${a}`, `${node.url}/v1/lookup/${unlisted[i]}`]);
    // Repeated addresses (mail servers see the same senders again) and distinct ones (every
    // request a cache miss: more requests than addresses never happen within one run).
    const repeated = join(tmp.path, 'repeated.txt');
    const distinct = join(tmp.path, 'distinct.txt');
    writeFileSync(repeated, urls(1_000).join('\n'));
    writeFileSync(distinct, urls(100_000).join('\n'));
    // Asynchronous: the server under load lives in this process and must keep running.
    const load = async (urls: string[]) =>
      JSON.parse((await promisify(execFile)(process.execPath, [TSX, LOAD, '5', '32', ...urls], { maxBuffer: 1 << 20 })).stdout) as {
        rps: number;
        errors: number;
        p99Ms: number;
      };
    await load([`${node.url}/healthz`]); // warm up both paths
    await load([`@${repeated}`]);
    const results = { bare: [] as number[], repeated: [] as number[], distinct: [] as number[] };
    for (let run = 0; run < runs; run++) {
      for (const [name, target] of [['bare', `${node.url}/healthz`], ['repeated', `@${repeated}`], ['distinct', `@${distinct}`]] as const) {
        const r = await load([target]);
        if (r.errors > 0) throw new Error(`load generator saw ${r.errors} errors on ${name}`);
        results[name].push(r.rps);
      }
    }
    const b = median(results.bare);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    for (const name of ['repeated', 'distinct'] as const) {
      const l = median(results[name]);
      console.log(
        `lookup (${name} addresses): GET /v1/lookup ${fmt(l)} req/s, bare hono route ${fmt(b)} req/s, ratio ${(l / b).toFixed(2)}x (target >= 0.8x); medians of ${runs}`,
      );
    }
  } finally {
    await node.destroy();
    tmp.cleanup();
  }
}
