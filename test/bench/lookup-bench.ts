import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { initTestNode } from '../helpers/nodes.js';
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
 * The node runs as deployed by default: metrics on, and the access log written at info, one
 * line per request, to a file as pino writes to stdout;
 * BENCH_ACCESS_LOG=0 sets `serve.accessLog: false`. Beside requests/s, the CPU the node's
 * process spent per request (its user+system time over the requests answered): a figure the
 * other processes on a loaded machine move much less than throughput.
 */
export async function lookupBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-lookup-');
  const accessLog = process.env.BENCH_ACCESS_LOG !== '0';
  const dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { subscribers: { public: true, rateLimitPerMinute: 1_000_000 }, ...(accessLog ? {} : { serve: { accessLog } }) } });
  // As `spamx serve` logs: pino's default destination, written asynchronously (sonic-boom
  // gathers the lines logged while a write is under way into the next one).
  const destination = pino.destination({ dest: join(tmp.path, 'node.log'), sync: false });
  const node = await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'info' }, destination) });
  await node.start();
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
    const load = async (urls: string[]) => {
      const cpu = process.cpuUsage();
      const r = JSON.parse((await promisify(execFile)(process.execPath, [TSX, LOAD, '5', '32', ...urls], { maxBuffer: 1 << 20 })).stdout) as {
        rps: number;
        requests: number;
        errors: number;
        p99Ms: number;
      };
      const used = process.cpuUsage(cpu);
      return { ...r, cpuUsPerRequest: (used.user + used.system) / r.requests };
    };
    await load([`${node.url}/healthz`]); // warm up both paths
    await load([`@${repeated}`]);
    const results = { bare: [] as number[], repeated: [] as number[], distinct: [] as number[] };
    const cpu = { bare: [] as number[], repeated: [] as number[], distinct: [] as number[] };
    for (let run = 0; run < runs; run++) {
      for (const [name, target] of [['bare', `${node.url}/healthz`], ['repeated', `@${repeated}`], ['distinct', `@${distinct}`]] as const) {
        const r = await load([target]);
        if (r.errors > 0) throw new Error(`load generator saw ${r.errors} errors on ${name}`);
        results[name].push(r.rps);
        cpu[name].push(r.cpuUsPerRequest);
      }
    }
    const b = median(results.bare);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const setting = `metrics on, access log ${accessLog ? 'written' : 'off'}`;
    for (const name of ['repeated', 'distinct'] as const) {
      const l = median(results[name]);
      console.log(
        `lookup (${name} addresses): GET /v1/lookup ${fmt(l)} req/s, bare hono route ${fmt(b)} req/s, ratio ${(l / b).toFixed(2)}x (target >= 0.8x); ` +
          `node CPU per request ${median(cpu[name]).toFixed(1)} µs, bare ${median(cpu.bare).toFixed(1)} µs; ${setting}; medians of ${runs}`,
      );
    }
  } finally {
    await node.destroy();
    await new Promise<void>((resolve) => destination.flush(() => resolve()));
    tmp.cleanup();
  }
}
