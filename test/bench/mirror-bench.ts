import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTestNode } from '../helpers/nodes.js';
import { runCli, spawnLogged, spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { changeRounds, median } from './bench-data.js';
import { fillNodeStore } from './blocklist-data.js';

const PRINT_MAX_RSS = fileURLToPath(new URL('./print-max-rss.mjs', import.meta.url));
const LISTED = 1_000_000;
const CHANGES = 1_000;

/**
 * `spamx mirror` keeping a 1,000,000-entry rbldnsd file current: a real `spamx serve` whose store
 * holds 1,000,000 listed pieces (written straight into `effective`, blocklist-data.ts), a real
 * `spamx mirror` child process following it, and each round 1,000 changes made with the real
 * `spamx report`/`delist` and `publish` (1,000 listings, then those 1,000 delisted). Measured: the
 * mirror's whole cycle for the poll that carries them, from sending the request to the renamed
 * file (its `cycleMs`), target under 1 s; the baseline in the same run is the node's own
 * `format=rbldnsd` download of the same list (what a cron job with curl fetches each time).
 * Also the first snapshot's time and the mirror's peak RSS.
 */
export async function mirrorBench(runs: number): Promise<void> {
  const tmp = tempDir('spamx-bench-mirror-');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { subscribers: { public: false, rateLimitPerMinute: 100_000 } } as never });
    const held = fillNodeStore(dir, LISTED, 11);
    const added = await runCli(['subscriber', 'add', 'isp-bench', '--data', dir]);
    if (added.code !== 0) throw new Error(`subscriber add: ${added.stderr}`);
    const key = added.stdout.trimEnd().split('\n').at(-1)!;
    const server = await spawnServe(dir);
    stops.push(() => server.stop());

    const out = join(tmp.path, 'rbldnsd');
    const mirror = spawnLogged(['mirror', '--url', server.url, '--out', out, '--interval', '0.2'], {
      nodeArgs: ['--import', PRINT_MAX_RSS],
      env: { SPAMX_MIRROR_KEY: key, SPAMX_LOG_LEVEL: 'info' },
    });
    const { lines } = mirror;
    stops.unshift(() => mirror.stop());
    const snapshot = await waitFor('the mirror snapshot', () => {
      if (mirror.child.exitCode !== null) throw new Error(`mirror exited ${mirror.child.exitCode}: ${mirror.stderr()}`);
      return lines.find((l) => l.msg === 'snapshot written');
    }, { timeoutMs: 300_000 });
    console.log(`mirror: snapshot of ${fmt(Number(snapshot.listed))} pieces written in ${fmt(Number(snapshot.cycleMs))} ms (${fmt(Number(snapshot.fetchMs))} ms of it reading the node's answers)`);

    // Rounds of 1,000 changes: 1,000 fresh listings, then the same 1,000 delisted.
    const rounds$ = changeRounds(dir, held, tmp.path, CHANGES);

    const cycles: number[] = [];
    const fetches: number[] = [];
    const rounds = Math.max(6, 2 * runs);
    for (let round = 0; round < rounds; round++) {
      const seen = lines.length;
      const listing = round % 2 === 0;
      await rounds$.change(round);
      await rounds$.publish();
      // The polls that carried this round's changes (one, unless a poll fell inside the projection).
      const carried = await waitFor(`the mirror to apply round ${round}`, () => {
        const updates = lines.slice(seen).filter((l) => l.msg === 'files updated');
        const total = updates.reduce((n, l) => n + Number(listing ? l.added : l.removed), 0);
        return total >= CHANGES ? updates : undefined;
      }, { timeoutMs: 120_000 });
      if (carried.length === 1) {
        cycles.push(Number(carried[0]!.cycleMs));
        fetches.push(Number(carried[0]!.fetchMs));
      } else console.log(`mirror: round ${round} came in ${carried.length} polls, left out`);
    }

    // Baseline: the node's own rbldnsd file of the same list, downloaded whole.
    const downloads: number[] = [];
    for (let run = 0; run < Math.max(3, runs); run++) {
      const started = performance.now();
      const res = await fetch(`${server.url}/v1/blocklist?format=rbldnsd`, { headers: { 'x-api-key': key } });
      const reader = res.body!.getReader();
      while (!(await reader.read()).done);
      downloads.push(performance.now() - started);
    }

    const rssNowMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${mirror.child.pid}/status`, 'utf8'))?.[1]) / 1024;
    await mirror.stop();
    stops.shift();
    const rssKb = Number(/max-rss-kb (\d+)/.exec(mirror.stderr())?.[1]);
    const cycle = median(cycles);
    const download = median(downloads);
    console.log(
      `mirror: ${fmt(CHANGES)}-change poll on a ${fmt(LISTED)}-entry rbldnsd file, request to renamed file ${fmt(cycle)} ms ` +
        `(of which the changes request ${fmt(median(fetches))} ms; target < 1,000 ms); median of ${cycles.length}`,
    );
    console.log(`mirror: baseline, the node's format=rbldnsd download of the same list ${fmt(download)} ms; ratio ${(download / cycle).toFixed(2)}x; mirror RSS ${rssNowMb.toFixed(0)} MB after the rounds, peak ${(rssKb / 1024).toFixed(0)} MB`);
  } finally {
    for (const stop of stops) await stop();
    tmp.cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
