import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../../src/cli/compiled.mjs';
import { tempDir } from '../helpers/temp-dir.js';
import { publicAddresses } from './bench-data.js';
import type { AttackPlan } from './soak-attack.js';
import { LOAD, legitimateLoad, newPollState, percentile, type LoadResult } from './soak-load.js';
import { monitorServe, type MonitorSummary } from './soak-monitor.js';
import { MEASURED, PARTNER, SOAK_ZONE, startSoakNodes } from './soak-nodes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ATTACK = fileURLToPath(new URL('./soak-attack.ts', import.meta.url));
const OWN = 100_000;
const PARTNER_LISTINGS = 100_000;
const UNLISTED = 10_000;
/** Checkpointed throughout: the checkpoint never went longer than this without progress (three write rounds). */
const MAX_STALL_SECONDS = (3 * LOAD.writeMs) / 1000;
const WARM_UP_SECONDS = 10;
/** The bad clients' kinds (soak-attack.ts); SOAK_ATTACKS=dns-udp,dns-tcp runs only those. */
const ATTACK_KINDS = ['downloads', 'streams', 'head', 'if-none-match', 'sources', 'dns-udp', 'dns-tcp'];
/** How long the serving process is watched after the load and the bad clients have stopped. */
const AFTER_MS = 10_000;

interface Phase {
  readonly load: LoadResult;
  readonly monitor: MonitorSummary;
  readonly attack?: Record<string, number>;
}

/**
 * Issue 18's soak: SOAK_SECONDS (default 600) of mixed legitimate load on a real `spamx serve`
 * (soak-load.ts: DNSBL queries, lookups, blocklist and change-stream polls, reports, publishes
 * and pulls from a partner node), run twice from identical stores in fresh processes: clean,
 * then with a few stalled and malformed clients beside it (soak-attack.ts). Prints p99 of the
 * DNSBL and lookups, the serving process's peak RSS and largest WAL for both, the ratios
 * (targets: p99 within 2x, RSS within 1.5x) and whether the WAL was checkpointed throughout
 * (soak-monitor.ts). One pair of phases whatever `runs` says: each phase is already ten
 * minutes of samples, and the pair is twenty.
 */
export async function soakBench(_runs: number): Promise<void> {
  const seconds = Number(process.env.SOAK_SECONDS ?? 600);
  if (!(seconds > 0)) throw new Error(`SOAK_SECONDS must be a positive number, not ${process.env.SOAK_SECONDS}`);
  const kinds = (process.env.SOAK_ATTACKS ?? '').split(',').filter(Boolean);
  const unknown = kinds.filter((k) => !ATTACK_KINDS.includes(k));
  if (unknown.length > 0) throw new Error(`SOAK_ATTACKS: unknown ${unknown.join(', ')}; known: ${ATTACK_KINDS.join(', ')}`);
  const perSecond = (LOAD.reportLines * 1000) / LOAD.reportMs + (LOAD.partnerBatch * 1000) / LOAD.writeMs;
  const addresses = publicAddresses(OWN + PARTNER_LISTINGS + UNLISTED + Math.ceil(perSecond * (seconds + WARM_UP_SECONDS + 30)), 1818);
  const clean = await runPhase(addresses, seconds, undefined);
  const attacked = await runPhase(addresses, seconds, kinds);
  print(seconds, clean, attacked, kinds.length > 0 ? kinds : ATTACK_KINDS);
}

/** One phase; `attacks` lists the bad clients' kinds to run beside the load (empty: all), none when undefined. */
async function runPhase(addresses: readonly string[], seconds: number, attacks: readonly string[] | undefined): Promise<Phase> {
  const tmp = tempDir('spamx-bench-soak-');
  let attack: ReturnType<typeof startAttack> | undefined;
  let monitor: ReturnType<typeof monitorServe> | undefined;
  try {
    const own = addresses.slice(0, OWN);
    const partner = addresses.slice(OWN, OWN + PARTNER_LISTINGS);
    const unlisted = addresses.slice(OWN + PARTNER_LISTINGS, OWN + PARTNER_LISTINGS + UNLISTED);
    let next = OWN + PARTNER_LISTINGS + UNLISTED;
    const fresh = (n: number) => addresses.slice(next, (next += n));
    const nodes = await startSoakNodes(tmp.path, own, partner);
    try {
      // The setup's writes flushed first, so that neither phase pays for them.
      execFileSync('sync');
      monitor = monitorServe(nodes.pid, nodes.database);
      // Not measured: a fresh process's first requests, the subscribers' first full list and
      // change-stream snapshot among them (soak-load.ts PollState), are start-up, not soak.
      const polls = newPollState();
      await legitimateLoad(nodes, [...own, ...partner], unlisted, fresh, WARM_UP_SECONDS, polls);
      if (attacks) attack = startAttack({ url: nodes.url, dnsblPort: nodes.dnsblPort, seconds, ownFeed: MEASURED, partnerFeed: PARTNER, zone: SOAK_ZONE, kinds: attacks });
      const load = await legitimateLoad(nodes, [...own, ...partner], unlisted, fresh, seconds, polls);
      const counts = await attack?.done;
      await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
      if (nodes.pid && !isAlive(nodes.pid)) throw new Error(`spamx serve died during the ${attacks ? 'attacked' : 'clean'} phase`);
      return { load, monitor: monitor.stop(), ...(counts ? { attack: counts } : {}) };
    } finally {
      await nodes.stop();
    }
  } finally {
    monitor?.stop(); // idempotent: a phase that failed must not leave its timer running
    attack?.kill();
    tmp.cleanup();
  }
}

/** The bad clients in a process of their own; `done` resolves their counts once they have stopped. */
function startAttack(plan: AttackPlan): { done: Promise<Record<string, number>>; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', ATTACK, JSON.stringify(plan)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // Their loops end at the deadline; one that does not is stopped a minute after it.
  const overdue = setTimeout(() => child.kill('SIGTERM'), (plan.seconds + 60) * 1000);
  const done = new Promise<Record<string, number>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(overdue);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as Record<string, number>);
      } catch {
        reject(new Error(`soak-attack exited ${code} without its counts: ${out.slice(-500)}`));
      }
    });
  });
  done.catch(() => undefined); // awaited by the phase; an early failure must not crash the bench
  return {
    done,
    kill: () => {
      clearTimeout(overdue);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function print(seconds: number, clean: Phase, attacked: Phase, kinds: readonly string[]): void {
  const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;
  const mb = (n: number) => `${n.toFixed(0)} MB`;
  const ratio = (a: number, b: number, target: number) => `ratio ${(a / b).toFixed(2)}x (target <= ${target}x${a / b <= target ? ', met' : ', NOT met'})`;
  const checkpointed = (m: MonitorSummary) =>
    `${m.longestStallSeconds <= MAX_STALL_SECONDS ? 'yes' : 'NO'} (longest ${m.longestStallSeconds.toFixed(0)} s without progress, ` +
    `${m.maxUncheckpointedFrames.toLocaleString('en-US')} frames waiting at most, ${m.framesCheckpointed.toLocaleString('en-US')} copied, ${m.walRestarts} restarts)`;
  const p99 = (phase: Phase, kind: 'dnsbl' | 'lookup') => percentile(phase.load[kind], 99);
  console.log(
    `soak, ${seconds} s a phase, clean then attacked: ${LOAD.dnsblPerSecond} DNSBL queries/s, ${LOAD.lookupsPerSecond} lookups/s, ` +
      `${LOAD.blocklistPollers} blocklist pollers every ${LOAD.blocklistPollMs / 1000} s, the change stream every ${LOAD.changesPollMs / 1000} s, ` +
      `${LOAD.reportLines} reports every ${LOAD.reportMs / 1000} s, a partner batch of ${LOAD.partnerBatch} pulled and a publish every ${LOAD.writeMs / 1000} s`,
  );
  for (const [label, kind, lost] of [['DNSBL', 'dnsbl', (p: Phase) => `${p.load.dnsblLost} lost`], ['lookup', 'lookup', (p: Phase) => `${p.load.lookupErrors} errors`]] as const) {
    const [c, a] = [p99(clean, kind), p99(attacked, kind)];
    console.log(`  p99 ${label}: clean ${ms(c)}, attacked ${ms(a)}, ${ratio(a, c, 2)}; ${clean.load[kind].length} / ${attacked.load[kind].length} answers, ${lost(clean)} / ${lost(attacked)}`);
  }
  const [rc, ra] = [clean.monitor.peakRssMb, attacked.monitor.peakRssMb];
  console.log(`  peak RSS of spamx serve (VmHWM): clean ${mb(rc)}, attacked ${mb(ra)}, ${ratio(ra, rc, 1.5)}; ${AFTER_MS / 1000} s after the load ${mb(clean.monitor.endRssMb)} / ${mb(attacked.monitor.endRssMb)}`);
  console.log(`  largest WAL: clean ${mb(clean.monitor.largestWalMb)}, attacked ${mb(attacked.monitor.largestWalMb)}`);
  console.log(`  WAL checkpointed throughout (no ${MAX_STALL_SECONDS} s without progress): clean ${checkpointed(clean.monitor)}; attacked ${checkpointed(attacked.monitor)}`);
  for (const [label, phase] of [['clean', clean], ['attacked', attacked]] as const) {
    const { load } = phase;
    console.log(
      `  ${label}: pulls median ${ms(percentile(load.pullMs, 50))} (max ${ms(load.pullMs.at(-1) ?? NaN)}, ${load.pullMs.length}), ` +
        `publishes median ${ms(percentile(load.publishMs, 50))}, ${load.blocklistPolls} blocklist and ${load.changesPolls} change-stream polls, ` +
        `${load.pollErrors} poll and ${load.writeErrors} write errors`,
    );
  }
  console.log(`  bad clients (${kinds.join(', ')}): ${Object.entries(attacked.attack ?? {}).map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`).join(', ')}`);
}

// `npx tsx test/bench/soak-bench.ts`: the soak alone (SOAK_SECONDS, SOAK_ATTACKS as above),
// compiled first as run.ts does, so both phases run the build.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build();
  await soakBench(1);
}
