import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { parsePrefix } from '../../src/core/prefix.js';
import { bumpEffectiveVersion } from '../../src/store/meta-store.js';
import { openStore } from '../../src/store/open-store.js';
import { v4Name } from '../helpers/dig.js';
import { initTestNode } from '../helpers/nodes.js';
import { startRbldnsd } from '../helpers/rbldnsd.js';
import { spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { median, prng, publicAddresses } from './bench-data.js';

const LISTED = 1_000_000;
const QUERIES = 200_000;
const ZONE = 'bl.bench';
const SECONDS = Number(process.env.BENCH_DNSBL_SECONDS ?? 10);
const LATENCY_QPS = 20_000;
const SOURCES = ['cn-isc', 'cn-isc jp-dekyo', 'hk-ofta', 'jp-dekyo tw-ncc'];
/** Queries with EDNS0 (`-e`), as a mail server's resolver sends them. */
const DNSPERF = ['-s', '127.0.0.1', '-e'];

interface Throughput {
  readonly qps: number;
  readonly lost: number;
  /** Share of NOERROR answers: the two servers must agree on what is listed. */
  readonly listedShare: number;
}

/**
 * The DNSBL of a real `spamx serve` holding 1,000,000 listed /32s against the real rbldnsd
 * loaded with our rbldnsd export of the same list, both asked the same query file (half listed,
 * half unlisted addresses, in random order, with EDNS as resolvers ask) by the real dnsperf over
 * loopback UDP in the same run: the most queries per second each answers (dnsperf's default of 100 queries in flight),
 * and the 99th percentile latency at a steady 20,000 queries per second.
 */
export async function dnsblBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-dnsbl-');
  const rbldnsdDir = tempDir('spamx-bench-rbldnsd-');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const addresses = publicAddresses(LISTED + QUERIES / 2, 4242);
    const dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { dnsbl: { port: 0, zone: ZONE } } });
    fillEffective(dir, addresses.slice(0, LISTED));
    const queries = join(tmp.path, 'queries.txt');
    writeFileSync(queries, queryFile(addresses));
    const server = await spawnServe(dir);
    stops.push(() => server.stop());
    const spamxPort = server.lines().find((l) => l.msg === 'spamx node serving')?.dnsblPort as number;
    const built = server.lines().find((l) => l.msg === 'read models built');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]) / 1024;
    // The read models are built together at start (read/change-follower.ts): the DNSBL index and the lookup index.
    console.log(`dnsbl: read models of ${fmt(Number(built?.pieces))} pieces (${fmt(Number(built?.listings))} listings) built in ${fmt(Number(built?.ms))} ms; spamx serve RSS ${rss.toFixed(0)} MB`);
    const exported = await (await fetch(`${server.url}/v1/blocklist?format=rbldnsd`)).text();
    const rbldnsd = await startRbldnsd(rbldnsdDir.path, ZONE, [{ type: 'ip4set', data: exported }]);
    stops.push(() => rbldnsd.stop());
    const results = { spamx: { qps: [] as number[], p99: [] as number[] }, rbldnsd: { qps: [] as number[], p99: [] as number[] } };
    for (let run = 0; run < runs; run++) {
      // Alternate who goes first, so neither always meets a warmer or cooler machine.
      const order = run % 2 === 0 ? (['spamx', 'rbldnsd'] as const) : (['rbldnsd', 'spamx'] as const);
      const seen: Partial<Record<'spamx' | 'rbldnsd', Throughput>> = {};
      for (const name of order) {
        const port = name === 'spamx' ? spamxPort : rbldnsd.port;
        const out = join(tmp.path, 'dnsperf.out');
        const max = await dnsperfThroughput(port, queries, out);
        seen[name] = max;
        results[name].qps.push(max.qps);
        results[name].p99.push(await dnsperfP99(port, queries, out));
      }
      if (Math.abs(seen.spamx!.listedShare - seen.rbldnsd!.listedShare) > 0.01) {
        throw new Error(`spamx answered ${seen.spamx!.listedShare} of queries listed, rbldnsd ${seen.rbldnsd!.listedShare}`);
      }
    }
    const s = median(results.spamx.qps);
    const r = median(results.rbldnsd.qps);
    console.log(
      `dnsbl ${fmt(LISTED)} listed /32s: spamx ${fmt(s)} queries/s, rbldnsd ${fmt(r)} queries/s, ratio ${(s / r).toFixed(2)}x ` +
        `(target >= 0.5x); p99 latency at ${fmt(LATENCY_QPS)} queries/s: spamx ${ms(median(results.spamx.p99))}, ` +
        `rbldnsd ${ms(median(results.rbldnsd.p99))} (target < 2 ms); medians of ${runs}`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
    rbldnsdDir.cleanup();
    tmp.cleanup();
  }
}

/** Listed /32s written straight into the effective list (a million pulls would take minutes). */
function fillEffective(dir: string, addresses: readonly string[]): void {
  const store = openStore(loadConfig(dir).paths.database);
  try {
    const now = Date.now();
    const insert = store.db.prepare(
      `INSERT INTO effective (key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at)
       VALUES (?, ?, 1, ?, ?, 1, ?, ?, ?, ?, ?)`,
    );
    const expires = now + 30 * 86_400_000;
    store.db.transaction(() => {
      addresses.forEach((address, i) => {
        const parsed = parsePrefix(address);
        if (!parsed.ok) throw new Error(address);
        const sources = SOURCES[i % SOURCES.length]!;
        insert.run(parsed.prefix.key, parsed.prefix.text, now, now, expires, expires, sources, sources.split(' ').length, now);
      });
      bumpEffectiveVersion(store, now);
    })();
  } finally {
    store.close();
  }
}

/** Half listed, half not, shuffled: dnsperf's `name type` lines. */
function queryFile(addresses: readonly string[]): string {
  const next = prng(7);
  const unlisted = addresses.slice(LISTED);
  const lines: string[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const address = i % 2 === 0 ? addresses[Math.floor(next() * LISTED)]! : unlisted[(i - 1) / 2]!;
    lines.push(`${v4Name(address, ZONE)} A`);
  }
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  return `${lines.join('\n')}\n`;
}

async function dnsperfThroughput(port: number, queries: string, out: string): Promise<Throughput> {
  const summary = await dnsperf([...DNSPERF, '-p', String(port), '-d', queries, '-l', String(SECONDS)], out);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(summary)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(summary)?.[1]);
  const completed = Number(/Queries completed:\s+(\d+)/.exec(summary)?.[1]);
  const noerror = Number(/NOERROR (\d+)/.exec(summary)?.[1] ?? 0);
  if (!Number.isFinite(qps) || !completed) throw new Error(`dnsperf said: ${summary}`);
  return { qps, lost, listedShare: noerror / completed };
}

/**
 * p99 of every response's latency at a steady rate: dnsperf prints no percentiles, but `-v`
 * reports each response (`> NOERROR name A 0.000138`), read once dnsperf has finished so that
 * parsing takes no CPU from the servers while they are measured.
 */
async function dnsperfP99(port: number, queries: string, out: string): Promise<number> {
  const args = [...DNSPERF, '-p', String(port), '-d', queries, '-l', String(SECONDS), '-Q', String(LATENCY_QPS), '-v'];
  const output = await dnsperf(args, out);
  const latencies: number[] = [];
  for (const m of output.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) latencies.push(Number(m[1]));
  const lost = Number(/Queries lost:\s+(\d+)/.exec(output)?.[1]);
  if (latencies.length < LATENCY_QPS * SECONDS * 0.9) throw new Error(`dnsperf got only ${latencies.length} answers: ${output.slice(-2000)}`);
  latencies.sort((a, b) => a - b);
  // A lost query counts as slower than any answered one.
  const rank = Math.ceil(0.99 * (latencies.length + lost)) - 1;
  return rank < latencies.length ? latencies[rank]! : Number.POSITIVE_INFINITY;
}

/** Runs dnsperf with its output going to the file `out`, and returns that output. */
async function dnsperf(args: readonly string[], out: string): Promise<string> {
  const fd = openSync(out, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('dnsperf', args, { stdio: ['ignore', fd, fd] });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const output = readFileSync(out, 'utf8');
    if (code !== 0) throw new Error(`dnsperf exited ${code}: ${output.slice(-2000)}`);
    return output;
  } finally {
    closeSync(fd);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (seconds: number) => `${(seconds * 1000).toFixed(2)} ms`;

if (import.meta.url === `file://${process.argv[1]}`) await dnsblBench(Number(process.env.BENCH_RUNS ?? 3));
