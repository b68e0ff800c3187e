import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { Pool } from 'undici';
import { v4Name } from '../helpers/dig.js';
import { PARTNER, SOAK_ZONE, type SoakNodes } from './soak-nodes.js';

/** Rates of the legitimate load: what a busy centre sees, well inside what one node answers. */
export const LOAD = {
  dnsblPerSecond: 200,
  lookupsPerSecond: 100,
  /** Subscribers polling the whole list (conditionally, with its ETag) and the change stream. */
  blocklistPollers: 2,
  blocklistPollMs: 10_000,
  changesPollMs: 2_000,
  /** The measured node gets reports this often and publishes, and pulls its partner, every writeMs. */
  reportMs: 2_000,
  reportLines: 50,
  writeMs: 10_000,
  partnerBatch: 1_000,
} as const;

/**
 * Where the subscribers are: kept from the warm-up into the measured load, as subscribers keep
 * polling from where they were. Their first requests (the whole list, and the change stream's
 * snapshot of it, 4 MB each at 200,000 entries) are start-up, and stall a node for a second or
 * two; the soak measures the steady state after them.
 */
export interface PollState {
  cursor: string;
  readonly etags: (string | undefined)[];
}

export const newPollState = (): PollState => ({ cursor: '', etags: [] });

/** A request not answered within this counts as lost, at this latency. */
const TIMEOUT_MS = 2_000;

export interface LoadResult {
  /** Latencies in ms, sorted; a lost query or failed request is there at TIMEOUT_MS or its own time. */
  readonly dnsbl: number[];
  readonly dnsblLost: number;
  readonly lookup: number[];
  readonly lookupErrors: number;
  readonly blocklistPolls: number;
  readonly changesPolls: number;
  readonly pollErrors: number;
  readonly pullMs: number[];
  readonly publishMs: number[];
  readonly writeErrors: number;
}

/**
 * The legitimate load of one phase, from 127.0.0.1 (the bad clients come from other loopback
 * addresses, so a per-address limit on them is not a limit on this): DNSBL queries and lookups
 * sent at a fixed rate whatever the answers' pace (open loops: a stalled server shows as
 * latency, not as fewer requests), subscribers' polls, reports, publishes and pulls. `listed`
 * and `unlisted` are asked half each; `fresh(n)` gives n addresses not reported yet. Runs
 * `seconds`, then waits for what is in flight.
 */
export async function legitimateLoad(nodes: SoakNodes, listed: readonly string[], unlisted: readonly string[], fresh: (n: number) => string[], seconds: number, polls: PollState): Promise<LoadResult> {
  // Set to now when anything fails, so that every loop ends with it.
  const deadline = { at: performance.now() + seconds * 1000 };
  const ask = (i: number) => (i % 2 === 0 ? listed[(i >> 1) % listed.length]! : unlisted[(i >> 1) % unlisted.length]!);
  const pool = new Pool(nodes.url, { connections: 16, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const partner = new Pool(nodes.partnerUrl, { connections: 2 });
  const result = { lookup: [] as number[], lookupErrors: 0, blocklistPolls: 0, changesPolls: 0, pollErrors: 0, pullMs: [] as number[], publishMs: [] as number[], writeErrors: 0 };
  // The first few failures of a kind are printed: a count alone does not say what broke.
  const fail = (kind: 'pollErrors' | 'writeErrors') => (err: unknown) => {
    if (++result[kind] <= 3) console.warn(`soak: ${kind}: ${(err as Error).message}`);
  };
  try {
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await pool.request({ method: 'GET', path, headers });
      const body = await res.body.text();
      return { status: res.statusCode, etag: res.headers.etag as string | undefined, body };
    };
    const post = async (p: Pool, path: string, token: string, body?: string) => {
      const started = performance.now();
      const res = await p.request({ method: 'POST', path, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`POST ${path}: ${res.statusCode}`);
      return performance.now() - started;
    };
    const lookups = paced(LOAD.lookupsPerSecond, deadline, async (i) => {
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: `/v1/lookup/${ask(i)}` });
        await res.body.dump();
        if (res.statusCode !== 200) result.lookupErrors++;
      } catch {
        result.lookupErrors++;
      }
      result.lookup.push(performance.now() - started);
    });
    const pollers = Array.from({ length: LOAD.blocklistPollers }, (_, i) =>
      every(LOAD.blocklistPollMs, deadline, async () => {
        const etag = polls.etags[i];
        const res = await get('/v1/blocklist', etag ? { 'if-none-match': etag } : {});
        if (res.status !== 200 && res.status !== 304) throw new Error(`blocklist ${res.status}`);
        polls.etags[i] = res.etag ?? etag;
        result.blocklistPolls++;
      }, fail('pollErrors')),
    );
    const changes = every(LOAD.changesPollMs, deadline, async () => {
      for (let more = true; more; ) {
        const res = await get(`/v1/blocklist/changes${polls.cursor ? `?cursor=${polls.cursor}` : ''}`);
        if (res.status !== 200) throw new Error(`changes ${res.status}`);
        const page = JSON.parse(res.body) as { cursor: string; more?: boolean };
        polls.cursor = page.cursor;
        more = page.more === true;
      }
      result.changesPolls++;
    }, fail('pollErrors'));
    const reports = every(LOAD.reportMs, deadline, async () => {
      await post(pool, '/v1/reports', nodes.token, fresh(LOAD.reportLines).join('\n'));
    }, fail('writeErrors'));
    // Partner publishes, this node pulls it and publishes its own: one after the other, as the
    // schedules of two centres would, so that every pull brings a batch (and a checkpoint).
    const writes = every(LOAD.writeMs, deadline, async () => {
      await post(partner, '/v1/reports', nodes.partnerToken, fresh(LOAD.partnerBatch).join('\n'));
      await post(partner, '/v1/publish', nodes.partnerToken);
      result.pullMs.push(await post(pool, `/v1/peers/${PARTNER}/pull`, nodes.token));
      result.publishMs.push(await post(pool, '/v1/publish', nodes.token));
    }, fail('writeErrors'));
    const dnsbl = dnsblLoad(nodes.dnsblPort, (i) => v4Name(ask(i), SOAK_ZONE), deadline);
    const [dns] = await Promise.all([dnsbl, lookups, changes, reports, writes, ...pollers]);
    const sort = (a: number[]) => a.sort((x, y) => x - y);
    return { ...result, lookup: sort(result.lookup), dnsbl: sort(dns.latencies), dnsblLost: dns.lost, pullMs: sort(result.pullMs), publishMs: sort(result.publishMs) };
  } finally {
    deadline.at = 0;
    await Promise.all([pool.destroy(), partner.destroy()]);
  }
}

/** Starts `fire(i)` `perSecond` times a second until `deadline`, without waiting for it; resolves when all have settled. */
async function paced(perSecond: number, deadline: { at: number }, fire: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; performance.now() < deadline.at; ) {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
    for (; i < due; i++) {
      const p = fire(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
}

/** Runs `task` every `ms` (never two at once) until `deadline`; a failure is counted by `failed` and the loop goes on. */
async function every(ms: number, deadline: { at: number }, task: () => Promise<void>, failed: (err: unknown) => void): Promise<void> {
  while (performance.now() < deadline.at) {
    const started = performance.now();
    await task().catch(failed);
    await sleep(Math.min(deadline.at - performance.now(), ms - (performance.now() - started)));
  }
}

/** DNSBL A queries over UDP from 127.0.0.1 at LOAD.dnsblPerSecond; each answer's latency, and the queries lost. */
async function dnsblLoad(port: number, name: (i: number) => string, deadline: { at: number }): Promise<{ latencies: number[]; lost: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sent = new Map<number, number>();
  const latencies: number[] = [];
  let lost = 0;
  socket.on('message', (msg) => {
    const at = sent.get(msg.readUInt16BE(0));
    if (at === undefined) return; // answered after it was given up
    sent.delete(msg.readUInt16BE(0));
    latencies.push(performance.now() - at);
  });
  const expire = () => {
    const now = performance.now();
    for (const [id, at] of sent) {
      if (now - at < TIMEOUT_MS) break; // Map keeps insertion order: the rest are younger
      sent.delete(id);
      lost++;
      latencies.push(TIMEOUT_MS);
    }
  };
  try {
    await paced(LOAD.dnsblPerSecond, deadline, async (i) => {
      const id = i & 0xffff;
      const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: name(i), class: 'IN' }] });
      sent.set(id, performance.now());
      socket.send(query, port, '127.0.0.1');
      expire();
    });
    while (sent.size > 0) {
      await sleep(50);
      expire();
    }
    return { latencies, lost };
  } finally {
    socket.close();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
