/**
 * A small closed-loop HTTP load generator (run as its own process so it does not share the
 * server's event loop): `tsx http-load.ts SECONDS CONNECTIONS URL...|@FILE` keeps CONNECTIONS
 * requests in flight, cycling through the URLs (one per line in FILE), and prints
 * {requests, errors, seconds, rps, p99Ms} as JSON.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [seconds, connections, ...args] = process.argv.slice(2);
const urls = args[0]?.startsWith('@') ? readFileSync(args[0].slice(1), 'utf8').split('\n').filter(Boolean) : args;
const origin = new URL(urls[0]!).origin;
const paths = urls.map((u) => {
  const url = new URL(u);
  return url.pathname + url.search;
});
const pool = new Pool(origin, { connections: Number(connections), pipelining: 1 });
const deadline = performance.now() + Number(seconds) * 1000;
const latencies: number[] = [];
let next = 0;
let errors = 0;

async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const path = paths[next++ % paths.length]!;
    const started = performance.now();
    try {
      const res = await pool.request({ method: 'GET', path });
      await res.body.dump();
      if (res.statusCode !== 200) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - started);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(connections) }, worker));
const elapsed = (performance.now() - started) / 1000;
await pool.close();
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, errors, seconds: elapsed, rps: latencies.length / elapsed, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 })}\n`,
);
