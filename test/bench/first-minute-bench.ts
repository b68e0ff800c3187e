import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { SpamxNode } from '../../src/daemon.js';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, publicAddresses } from './bench-data.js';
import { spawnServeChild } from './serve-child.js';
import { freePort } from '../helpers/free-port.js';

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const STARTUP_LOAD = fileURLToPath(new URL('./startup-load.ts', import.meta.url));
const HTTP_LOAD = fileURLToPath(new URL('./http-load.ts', import.meta.url));
const ENTRIES = 1_000_000;
/** The start-up window quoted, and how long the start-up load runs. */
const FIRST_SECONDS = 6;
const LOAD_SECONDS = 10;

/**
 * A node's first minute: a `spamx serve` child started on a store of 1,000,000 listings, asked
 * `GET /v1/lookup/{ip}` (distinct addresses, half of them listed) from another process from the
 * moment it is spawned, 32 requests in flight. Prints the time until `/healthz` answers ready,
 * until the first lookup is answered, the lookups answered a second over the first six seconds
 * after the spawn, and the same node's rate once warm (a 5-second run after the start-up one).
 * The store's file is in the page cache, as after a restart of the service; a cold disk adds
 * its reads.
 */
export async function firstMinuteBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-start-');
  try {
    const port = await freePort();
    const dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { port, subscribers: { public: true, rateLimitPerMinute: 1_000_000 } } });
    const addresses = publicAddresses(ENTRIES + 50_000, 11);
    await fill(dir, addresses.slice(0, ENTRIES));
    const url = `http://127.0.0.1:${port}`;
    const urls = join(tmp.path, 'lookups.txt');
    writeFileSync(urls, addresses.slice(ENTRIES - 50_000).map((a) => `${url}/v1/lookup/${a}`).join('\n'));
    const ready: number[] = [];
    const firstAnswer: number[] = [];
    const early: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < runs; run++) {
      execFileSync('sync');
      const started = Date.now();
      const node = spawnServeChild(dir);
      try {
        const load = promisify(execFile)(process.execPath, [TSX, STARTUP_LOAD, String(started), String(LOAD_SECONDS), '32', `${url}/healthz`, `@${urls}`], {
          maxBuffer: 1 << 20,
        });
        const out = JSON.parse((await load).stdout) as { okPerSecond: number[]; readyMs: number | null; firstOkMs: number | null };
        await node.serving;
        const hot = JSON.parse((await promisify(execFile)(process.execPath, [TSX, HTTP_LOAD, '5', '32', `@${urls}`], { maxBuffer: 1 << 20 })).stdout) as {
          rps: number;
          errors: number;
        };
        if (hot.errors > 0) throw new Error(`load generator saw ${hot.errors} errors on a warm node`);
        if (out.readyMs === null || out.firstOkMs === null) throw new Error(`not ready within ${LOAD_SECONDS} s: ${JSON.stringify(out)}`);
        ready.push(out.readyMs);
        firstAnswer.push(out.firstOkMs);
        early.push(out.okPerSecond.slice(0, FIRST_SECONDS).reduce((a, b) => a + b, 0) / FIRST_SECONDS);
        warm.push(hot.rps);
        if (process.env.BENCH_VERBOSE) {
          console.log(`  run ${run}: ready at ${out.readyMs} ms, first lookup at ${out.firstOkMs} ms, lookups per second after the spawn ${out.okPerSecond.join(' ')}; warm ${fmt(hot.rps)}/s`);
        }
      } finally {
        await node.stop();
      }
    }
    const e = median(early);
    const w = median(warm);
    console.log(
      `first minute (1M listings): /healthz ready ${(median(ready) / 1000).toFixed(1)} s after the spawn, first lookup answered at ${(median(firstAnswer) / 1000).toFixed(1)} s; ` +
        `GET /v1/lookup in the first ${FIRST_SECONDS} s ${fmt(e)} req/s, warm ${fmt(w)} req/s (${(e / w).toFixed(2)}x); medians of ${runs}`,
    );
  } finally {
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A store of `addresses` listed by the node itself, ten batches, its served list projected. */
async function fill(dir: string, addresses: readonly string[]): Promise<void> {
  const node = await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'warn' }) });
  try {
    const per = addresses.length / 10;
    for (let b = 0; b < 10; b++) {
      node.reportText(addresses.slice(b * per, (b + 1) * per).join('\n'));
      await node.publish();
    }
    node.project();
  } finally {
    await node.destroy();
  }
}

