import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePaths } from '../../src/config/paths.js';
import { writeBatchParts } from '../../src/store/batch-parts.js';
import { openStore, writeTransaction } from '../../src/store/open-store.js';
import { initTestNode, PUBLIC_FEEDS } from '../helpers/nodes.js';
import { spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { rssMb, socketCount, stalledRequest, timed, type StalledClient } from '../helpers/stalled-client.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Batch downloads (`GET /v1/feeds/{p}/batches`, `/batches/{seq}`) against a real `spamx serve`
 * whose clients ask and never read, each from its own loopback address: the node streams the
 * stored parts as they are read, so a stalled reader holds about one part, not the batch; it
 * ends a response that makes no progress for `serve.stallTimeoutMs`; and it refuses streams
 * beyond `serve.streamsPerClient` per address (429) and `serve.streamsTotal` in all (503).
 */
const tmp = tempDir();
const MiB = 1 << 20;
const BATCH_BYTES = 16 * MiB;
const STALL_MS = 5_000;
const PER_CLIENT = 4;
const TOTAL = 24;
const STALLED = 16;
let serve: ServeProcess;
let pid: number;
const opened: StalledClient[] = [];

/** A JWS-shaped ASCII text (base64url and dots), every position told apart from its neighbours'. */
const jws = Buffer.from(Array.from({ length: 65 * 1024 }, (_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'[(i * 7 + (i >> 10)) % 65]).join('').repeat(Math.ceil(BATCH_BYTES / (65 * 1024))).slice(0, BATCH_BYTES), 'latin1');

const page = '/v1/feeds/cn-isc/batches?after=0';

async function stall(count: number, firstAddress: number, path = page): Promise<StalledClient[]> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => stalledRequest(serve.url, path, { localAddress: `127.0.0.${firstAddress + i}` })));
  opened.push(...answers);
  return answers;
}

beforeAll(async () => {
  const dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { ...PUBLIC_FEEDS, serve: { stallTimeoutMs: STALL_MS, streamsPerClient: PER_CLIENT, streamsTotal: TOTAL } } });
  // A partner's feed of one 16 MB batch, written into the store as a pull stores it: the
  // batch routes serve the stored bytes as they are, without checking them again.
  const store = openStore(nodePaths(dir).database);
  writeTransaction(store, () => {
    const bytes = writeBatchParts(store, 'cn-isc', 1, jws);
    store
      .prepare(`INSERT INTO batches (publisher, seq, leaf_hash, jws_bytes, kid, issued_at, entry_count, refused_count, received_at) VALUES ('cn-isc', 1, 'leaf-1', ?, 'k', 0, 0, 0, 0)`)
      .run(bytes);
    store.prepare(`INSERT INTO feeds (publisher, size, head, updated_at) VALUES ('cn-isc', 1, 'leaf-1', 0)`).run();
  });
  store.close();
  serve = await spawnServe(dir);
  pid = serve.child.pid!;
});

afterAll(async () => {
  for (const c of opened) c.socket.destroy();
  await serve?.stop();
  tmp.cleanup();
});

describe('a batch download whose reader stalls', () => {
  it('is streamed part by part: the page, the single batch and its HEAD are whole and exact', async () => {
    const res = await fetch(`${serve.url}${page}`);
    const body = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    const parsed = JSON.parse(body) as { publisher: string; batches: { seq: number; jws: string }[]; next: null };
    expect(parsed.publisher).toBe('cn-isc');
    expect(parsed.next).toBeNull();
    expect(parsed.batches.map((b) => b.seq)).toEqual([1]);
    expect(parsed.batches[0]!.jws === jws.toString('latin1')).toBe(true);
    const single = await fetch(`${serve.url}/v1/feeds/cn-isc/batches/1`);
    expect(Buffer.from(await single.arrayBuffer()).equals(jws)).toBe(true);
    const head = await fetch(`${serve.url}/v1/feeds/cn-isc/batches/1`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('etag')]).toEqual([200, String(BATCH_BYTES), '"leaf-1"']);
    expect((await fetch(`${serve.url}/v1/feeds/cn-isc/batches/1`, { headers: { 'if-none-match': '"leaf-1"' } })).status).toBe(304);
  });

  it('holds no batch in memory per reader, and is ended when the reader stops', async () => {
    const sockets = socketCount(pid);
    const before = rssMb(pid);
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
    try {
      const started = Date.now();
      const answers = await stall(STALLED, 21);
      expect(answers.map((a) => a.status)).toEqual(Array(STALLED).fill(200));
      const during = rssMb(pid);
      peak = Math.max(peak, during);
      console.log(`${STALLED} stalled downloads of a ${BATCH_BYTES / MiB} MiB page: RSS ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB while they stall`);
      // Buffered whole, 16 readers held 16 × 16 MiB; streamed, each holds about one 1 MiB part.
      expect(peak - before).toBeLessThan(80);
      // Meanwhile the node answers at once.
      for (let i = 0; i < 5; i++) {
        const health = await timed(`${serve.url}/healthz`);
        expect(health.status).toBe(200);
        expect(health.ms).toBeLessThan(200);
      }
      await waitFor('the stalled downloads to be ended', () => socketCount(pid) <= sockets, { timeoutMs: 30_000, intervalMs: 50 });
      const freedAfter = Date.now() - started;
      // Freed buffers go back when V8 next collects; on an idle node that is its memory reducer,
      // which waits for a quiet spell of several seconds: a generous deadline, not a tight one.
      const after = await waitFor('memory to settle', () => rssMb(pid) < before + 32 && rssMb(pid), { timeoutMs: 40_000 });
      console.log(`… ${peak.toFixed(0)} MB at peak, ${after.toFixed(0)} MB after; sockets freed after ${freedAfter} ms`);
      expect(peak - before).toBeLessThan(80);
      expect(freedAfter).toBeGreaterThanOrEqual(STALL_MS / 2);
    } finally {
      clearInterval(sample);
    }
  });

  it('refuses streams past the per-address and total caps, with a code and Retry-After', async () => {
    const sockets = socketCount(pid);
    const single = await stall(PER_CLIENT + 1, 40, '/v1/feeds/cn-isc/batches/1');
    // Per address: five from one source address.
    const same = await Promise.all(Array.from({ length: PER_CLIENT + 1 }, () => stalledRequest(serve.url, page, { localAddress: '127.0.0.60' })));
    opened.push(...same);
    const statuses = same.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(PER_CLIENT).fill(200), 429]);
    const refused = same.find((a) => a.status === 429)!;
    expect(JSON.parse(refused.body).error.code).toBe('TOO_MANY_STREAMS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // In all: 5 + 4 open; fill up to the total from other addresses, then one more.
    const rest = await stall(TOTAL - (PER_CLIENT + 1) - PER_CLIENT, 70);
    expect([...single, ...rest].every((a) => a.status === 200)).toBe(true);
    const [busy] = await stall(1, 100);
    expect(busy!.status).toBe(503);
    expect(JSON.parse(busy!.body).error.code).toBe('SERVER_BUSY');
    expect(Number(busy!.headers['retry-after'])).toBeGreaterThan(0);
    for (const c of [refused, busy!]) c.socket.destroy();

    // Once they are ended, the node serves again.
    await waitFor('the stalled downloads to be ended', () => socketCount(pid) <= sockets, { timeoutMs: 30_000, intervalMs: 50 });
    const again = await fetch(`${serve.url}${page}`);
    expect(again.status).toBe(200);
    expect((await again.arrayBuffer()).byteLength).toBeGreaterThan(BATCH_BYTES);
  });
});
