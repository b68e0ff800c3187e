import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, soaSerial, startKnot, type Secondary } from '../helpers/dns-secondaries.js';
import { freePort } from '../helpers/free-port.js';
import { initTestNode } from '../helpers/nodes.js';
import { spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { changeRounds, median } from './bench-data.js';
import { fillNodeStore } from './blocklist-data.js';

const LISTED = Number(process.env.ZONE_BENCH_LISTED ?? 1_000_000);
const CHANGES = 1_000;
const ZONE = 'bl.bench';

/**
 * The DNSBL zone sent to a real Knot DNS secondary: a real `spamx serve` whose store holds
 * 1,000,000 listed pieces (written straight into `effective`, blocklist-data.ts), Knot started
 * as its secondary. Measured: the AXFR of the whole zone (spamx's time to stream it, Knot's
 * time from its log) and spamx's RSS while it streams (sampled every 20 ms; target: under
 * 100 MB above what the node held before), then rounds of 1,000 changes made with the real
 * `spamx report`/`delist` and `publish`, each reaching Knot by NOTIFY and IXFR: spamx's time to
 * serve the IXFR (target under 1 s) and the time from the publish to Knot holding the new
 * serial. The baseline in the same run: `kdig` taking the same zone by AXFR to /dev/null from
 * Knot, once it holds it, against the same from spamx.
 */
export async function zoneBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-zone-');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const dnsPort = await freePort();
    const knotPort = await freePort();
    const dir = await initTestNode(tmp.path, {
      id: 'jp-dekyo',
      config: { dnsbl: { port: dnsPort, zone: ZONE, transfer: { allow: ['127.0.0.1/32'] }, notify: [`127.0.0.1:${knotPort}`] } } as never,
    });
    const held = fillNodeStore(dir, LISTED, 11);
    const server = await spawnServe(dir);
    stops.push(() => server.stop());
    const pid = server.child.pid!;
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    await waitFor('the DNSBL to answer', async () => (await soaSerial('127.0.0.1', dnsPort, ZONE)) !== undefined, { timeoutMs: 300_000 });

    // AXFR to Knot, RSS sampled while spamx streams it.
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    const knotDir = join(tmp.path, 'knot');
    mkdirSync(knotDir);
    const started = performance.now();
    const knot: Secondary = startKnot({ dir: knotDir, zone: ZONE, address: '127.0.0.1', port: knotPort, primary: { address: '127.0.0.1', port: dnsPort }, transferTo: '127.0.0.1' });
    stops.unshift(() => knot.stop());
    const transferred = (kind: string, seen: number) =>
      server.lines().slice(seen).find((l) => l.msg === 'zone transferred' && l.kind === kind && l.outcome !== 'current');
    const axfr = await waitFor('the AXFR to Knot', () => transferred('AXFR', 0), { timeoutMs: 900_000, intervalMs: 200 });
    const serial = await soaSerial('127.0.0.1', dnsPort, ZONE);
    await waitFor('Knot to load the zone', async () => (await soaSerial('127.0.0.1', knotPort, ZONE)) === serial, { timeoutMs: 900_000, intervalMs: 200 });
    const knotMs = performance.now() - started;
    clearInterval(sampler);
    const knotSeconds = /AXFR, incoming, remote [^\n]*finished, ([\d.]+) seconds/.exec(knot.log())?.[1];
    console.log(
      `zone: AXFR of a ${fmt(LISTED)}-entry zone to Knot: spamx streamed it in ${fmt(Number(axfr.ms))} ms (Knot: ${knotSeconds ?? '?'} s transfer, ${fmt(knotMs)} ms to serving); ` +
        `spamx RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB while streaming (+${(peak - before).toFixed(0)} MB; target < 100 MB)`,
    );

    // Baseline: the same zone taken by kdig from spamx and from Knot, a DNS server built for it,
    // now holding the zone; the same client for both.
    const fromSpamx: number[] = [];
    const fromKnot: number[] = [];
    const kdigRuns = Math.max(1, Math.min(runs, 2));
    for (let run = 0; run < kdigRuns; run++) {
      fromSpamx.push(await kdigAxfr(dnsPort));
      fromKnot.push(await kdigAxfr(knotPort));
    }
    const [s, k] = [median(fromSpamx), median(fromKnot)];
    console.log(`zone: kdig AXFR of the same zone to /dev/null: from spamx ${fmt(s)} ms, baseline from Knot ${fmt(k)} ms; ratio ${(k / s).toFixed(2)}x; medians of ${kdigRuns}`);

    // Rounds of 1,000 changes: 1,000 fresh listings, then the same 1,000 delisted.
    const rounds$ = changeRounds(dir, held, tmp.path, CHANGES);
    const serveMs: number[] = [];
    const reachMs: number[] = [];
    const rounds = Math.max(4, 2 * runs);
    for (let round = 0; round < rounds; round++) {
      const seen = server.lines().length;
      await rounds$.change(round);
      const t = performance.now();
      await rounds$.publish();
      const ixfr = await waitFor(`the IXFR of round ${round}`, () => transferred('IXFR', seen), { timeoutMs: 120_000, intervalMs: 50 });
      const target = Number(ixfr.serial);
      await waitFor(`Knot at serial ${target}`, async () => (await soaSerial('127.0.0.1', knotPort, ZONE)) === target, { timeoutMs: 120_000, intervalMs: 50 });
      reachMs.push(performance.now() - t);
      if (ixfr.outcome === 'ok') serveMs.push(Number(ixfr.ms));
      else console.log(`zone: round ${round} answered as ${String(ixfr.outcome)}, left out`);
    }
    console.log(
      `zone: IXFR of ${fmt(CHANGES)} changes on the ${fmt(LISTED)}-entry zone: spamx served it in ${fmt(median(serveMs))} ms (target < 1,000 ms); ` +
        `publish to Knot holding the new serial ${fmt(median(reachMs))} ms (publish, projection, NOTIFY, IXFR); median of ${serveMs.length}`,
    );
  } finally {
    for (const stop of stops) await stop();
    tmp.cleanup();
  }
}

/** The wall time of `kdig` taking the zone by AXFR from 127.0.0.1:port, its records discarded. */
async function kdigAxfr(port: number): Promise<number> {
  const started = performance.now();
  const out = await runTool('kdig', ['@127.0.0.1', '-p', String(port), ZONE, 'AXFR', '+noall']);
  if (out.code !== 0) throw new Error(`kdig AXFR from port ${port} exited ${out.code}: ${out.stderr}`);
  return performance.now() - started;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
