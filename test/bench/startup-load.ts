/**
 * The load of a node's first seconds, in its own process: `tsx startup-load.ts STARTED_MS
 * SECONDS CONNECTIONS HEALTH_URL @FILE` keeps CONNECTIONS requests in flight from the moment the
 * node was spawned (STARTED_MS, epoch milliseconds) until SECONDS after it, cycling through the
 * URLs in FILE (one per line), and polls HEALTH_URL until it answers 200. A request the node
 * cannot take yet (not listening, or not 200) is tried again 5 ms later, so a node that is not
 * up is not flooded. Prints {okPerSecond (lookups answered 200 in each second after the
 * spawn), readyMs, firstOkMs, failed} as JSON, times from the spawn.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [startedText, seconds, connections, healthUrl, file] = process.argv.slice(2);
const started = Number(startedText);
const until = started + Number(seconds) * 1000;
const urls = readFileSync(file!.slice(1), 'utf8').split('\n').filter(Boolean);
const origin = new URL(urls[0]!).origin;
const paths = urls.map((u) => new URL(u).pathname);
const pool = new Pool(origin, { connections: Number(connections), pipelining: 1 });
const okPerSecond = new Array<number>(Number(seconds)).fill(0);
let firstOkMs: number | null = null;
let readyMs: number | null = null;
let failed = 0;
let next = 0;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function worker(): Promise<void> {
  while (Date.now() < until) {
    try {
      const res = await pool.request({ method: 'GET', path: paths[next++ % paths.length]! });
      await res.body.dump();
      const at = Date.now() - started;
      if (res.statusCode === 200) {
        firstOkMs ??= at;
        if (at < okPerSecond.length * 1000) okPerSecond[Math.floor(at / 1000)]!++;
        continue;
      }
    } catch {
      // not listening yet
    }
    failed++;
    await pause(5);
  }
}

async function health(): Promise<void> {
  while (readyMs === null && Date.now() < until) {
    try {
      const res = await fetch(healthUrl!);
      if (res.ok) readyMs = Date.now() - started;
    } catch {
      // not listening yet
    }
    if (readyMs === null) await pause(10);
  }
}

await Promise.all([health(), ...Array.from({ length: Number(connections) }, worker)]);
await pool.close();
process.stdout.write(`${JSON.stringify({ okPerSecond, readyMs, firstOkMs, failed })}\n`);
