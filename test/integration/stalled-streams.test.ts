import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePaths } from '../../src/config/paths.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { holdsConnection, socketCount, stalledRequest, timed, walCheckpoint, type StalledClient } from '../helpers/stalled-client.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Streams that hold a read snapshot (the blocklist, the change snapshot, the CrowdSec decision
 * stream) against a real `spamx serve`: a HEAD runs no stream and moves no cursor; a reader that
 * stops reading is cut after `serve.stallTimeoutMs`, and its snapshot with it, so the WAL
 * checkpoints again; one key holds at most `serve.streamsPerClient` streams; a reader that keeps
 * taking a little, never stalling, is cut `serve.streamMaxMs` after it began, with its snapshot.
 */
const tmp = tempDir();
const STALL_MS = 4_000;
const PER_KEY = 4;
const LISTED = 80_000;
let serve: ServeProcess;
let dbPath: string;
let token: string;
const keys: { id: number; key: string }[] = [];
const stalled: StalledClient[] = [];
const servers: ServeProcess[] = [];

/** A `spamx serve` over a store of LISTED listings and three subscribers. */
interface SeededNode {
  readonly serve: ServeProcess;
  readonly dbPath: string;
  readonly token: string;
  readonly keys: readonly { id: number; key: string }[];
}

/** The i-th public /32 from 61.0.0.0/8 upward. */
const address = (i: number) => `61.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function operator(path: string, body = '', on: Pick<SeededNode, 'serve' | 'token'> = { serve, token }): Promise<void> {
  const res = await fetch(`${on.serve.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${on.token}`, 'content-type': 'text/plain' }, body });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
  await res.arrayBuffer();
}

/** A few more listings, published: new WAL frames that a checkpoint must copy. */
let more = LISTED;
async function listMore(count = 20, on: Pick<SeededNode, 'serve' | 'token'> = { serve, token }): Promise<void> {
  await operator('/v1/reports', Array.from({ length: count }, () => address(more++)).join('\n'), on);
  await operator('/v1/publish', '', on);
}

const cursorOf = (id: number) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT cursor FROM decision_streams WHERE subscriber_id = ?').pluck().get(id) as number | undefined;
  } finally {
    db.close();
  }
};

const fullyCheckpointed = (path = dbPath) => {
  const wal = walCheckpoint(path);
  return wal.log > 0 && wal.checkpointed === wal.log && wal;
};

async function seededNode(id: string, serveConfig: Record<string, number>): Promise<SeededNode> {
  const dir = await initTestNode(tmp.path, { id, config: { serve: serveConfig } });
  const node = await startTestNode(dir);
  const keys: { id: number; key: string }[] = [];
  try {
    expect(node.reportText(Array.from({ length: LISTED }, (_, i) => address(i)).join('\n')).refused).toEqual([]);
    await node.publish();
    node.project();
    for (const name of ['isp-a', 'isp-b', 'isp-c']) {
      const { subscriber, key } = addSubscriber(node.store, name, Date.now());
      keys.push({ id: subscriber.id, key });
    }
  } finally {
    await node.destroy();
  }
  const serve = await spawnServe(dir);
  servers.push(serve);
  return { serve, dbPath: nodePaths(dir).database, token: readFileSync(nodePaths(dir).operatorToken, 'utf8').trim(), keys };
}

beforeAll(async () => {
  const main = await seededNode('jp-dekyo', { stallTimeoutMs: STALL_MS, streamsPerClient: PER_KEY });
  ({ serve, dbPath, token } = main);
  keys.push(...main.keys);
});

afterAll(async () => {
  for (const s of stalled) s.socket.destroy();
  await Promise.all(servers.map((s) => s.stop()));
  tmp.cleanup();
});

describe('HEAD on a streamed endpoint', () => {
  it('answers the headers a GET would, opens no snapshot and moves no cursor', async () => {
    const [a, b, c] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const startup = await fetch(`${serve.url}/v1/decisions/stream?startup=true`, { headers: { 'x-api-key': c.key } });
    expect(startup.status).toBe(200);
    await startup.arrayBuffer();
    const cursor = cursorOf(c.id);
    expect(cursor).toBeGreaterThan(0);

    const head = (path: string, key: string) => fetch(`${serve.url}${path}`, { method: 'HEAD', headers: { 'x-api-key': key } });
    const list = await head('/v1/blocklist?format=json', a.key);
    expect(list.status).toBe(200);
    expect(list.headers.get('etag')).toMatch(/^"bl-/);
    expect(list.headers.get('content-type')).toBe('application/json');
    // The same ETag as a GET: a conditional GET with it is a 304.
    const conditional = await fetch(`${serve.url}/v1/blocklist?format=json`, { headers: { 'x-api-key': a.key, 'if-none-match': list.headers.get('etag')! } });
    expect(conditional.status).toBe(304);
    expect((await head('/v1/blocklist/changes', a.key)).status).toBe(200);
    expect((await head('/v1/decisions/stream?startup=true', b.key)).status).toBe(200);
    expect((await head('/v1/decisions/stream', c.key)).status).toBe(200);

    await listMore();
    expect((await head('/v1/decisions/stream', c.key)).status).toBe(200);
    // No cursor moved: b never started a stream, c's next GET still gets what changed.
    expect(cursorOf(b.id)).toBeUndefined();
    expect(cursorOf(c.id)).toBe(cursor);
    // No snapshot left open: the WAL is copied whole (a leaked one pins it until exit).
    // Within the stall timeout: the cut of a stalled stream must not be what ends a leaked snapshot.
    await waitFor('a full checkpoint after the HEADs', fullyCheckpointed, { timeoutMs: STALL_MS - 1_000 });
  });
});

describe('a subscriber stream whose reader stalls', () => {
  it('is ended with its snapshot, and one key holds only so many', async () => {
    const full = await fetch(`${serve.url}/v1/blocklist?format=json`, { headers: { 'x-api-key': keys[0]!.key } });
    // Far more than loopback's socket buffers take (about 4 MB): a stalled reader stalls the stream.
    expect((await full.arrayBuffer()).byteLength).toBeGreaterThan(10_000_000);
    await waitFor('a full checkpoint before', fullyCheckpointed, { timeoutMs: 20_000 });
    const sockets = socketCount(serve.child.pid!);

    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: PER_KEY + 2 }, (_, i) =>
        stalledRequest(serve.url, '/v1/blocklist?format=json', { localAddress: `127.0.0.${11 + i}`, headers: { 'x-api-key': keys[0]!.key } }),
      ),
    );
    stalled.push(...answers);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(PER_KEY).fill(200), 429, 429]);
    // Another key's CrowdSec startup stream, stalled too: its key is a client of its own.
    const decisions = await stalledRequest(serve.url, '/v1/decisions/stream?startup=true', { localAddress: '127.0.0.20', headers: { 'x-api-key': keys[1]!.key } });
    stalled.push(decisions);
    expect(decisions.status).toBe(200);
    // The snapshots are held: new frames cannot all be copied while the readers stall (measured
    // first, well inside the stall timeout).
    await listMore();
    const pinned = walCheckpoint(dbPath);
    const stalledFor = Date.now() - started;
    if (stalledFor < STALL_MS) expect(pinned.checkpointed).toBeLessThan(pinned.log);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(JSON.parse(refused.body).error.code).toBe('TOO_MANY_STREAMS');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      refused.socket.destroy();
    }
    // Meanwhile the node answers at once.
    for (let i = 0; i < 5; i++) {
      const health = await timed(`${serve.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.ms).toBeLessThan(200);
    }

    // Cut after the stall timeout: sockets closed, snapshots ended, the WAL copied whole again.
    await waitFor('the stalled streams to be closed', () => socketCount(serve.child.pid!) <= sockets, { timeoutMs: 30_000, intervalMs: 50 });
    const freedAfter = Date.now() - started;
    const wal = await waitFor('a full checkpoint after the stall', fullyCheckpointed, { timeoutMs: 20_000 });
    console.log(`stalled streams: WAL ${pinned.checkpointed}/${pinned.log} frames copied while held (${stalledFor} ms in), freed after ${freedAfter} ms, then ${wal.checkpointed}/${wal.log}`);
    expect(freedAfter).toBeGreaterThanOrEqual(STALL_MS / 2);
    // A decision stream cut short starts no stream for its key: the next poll starts again.
    expect(cursorOf(keys[1]!.id)).toBeUndefined();
    // The key's slots are free again.
    const again = await fetch(`${serve.url}/v1/blocklist?format=txt`, { headers: { 'x-api-key': keys[0]!.key } });
    expect(again.status).toBe(200);
    expect((await again.text()).split('\n').filter((l) => l && !l.startsWith('#')).length).toBe(more);
  });
});

describe('a subscriber stream whose reader trickles', () => {
  /**
   * A node of its own: with a stall timeout of 60 s (its socket timeout fires only after 30 s
   * without progress) nothing but the lifetime can end this stream within the test.
   * (At 4 s, as above, a reader must take a third of the node's socket send buffer, over 1 MB,
   * every 2 s for its writes to be seen moving; a slower one is cut as stalled.)
   */
  const STREAM_MAX_MS = 5_000;
  let node: SeededNode;
  beforeAll(async () => {
    node = await seededNode('cn-trickle', { stallTimeoutMs: 60_000, streamMaxMs: STREAM_MAX_MS });
  });

  it('is ended with its snapshot serve.streamMaxMs after it began, though it never stalled', async () => {
    const checkpointed = () => fullyCheckpointed(node.dbPath);
    await waitFor('a full checkpoint before', async () => {
      await listMore(20, node); // a WAL with frames in it
      return checkpointed();
    }, { timeoutMs: 20_000 });
    const pid = node.serve.child.pid!;
    const started = Date.now();
    const reader = await stalledRequest(node.serve.url, '/v1/blocklist?format=json', { localAddress: '127.0.0.30', headers: { 'x-api-key': node.keys[0]!.key } });
    stalled.push(reader);
    expect(reader.status).toBe(200);
    const port = reader.socket.localPort!;
    expect(holdsConnection(pid, port)).toBe(true);
    // 64 KiB every 500 ms: a slow link that never stops, far too slow to read the list (over 10 MB) whole.
    const arrivals: number[] = [];
    let received = reader.body.length;
    let taken = 0;
    reader.socket.on('data', (chunk: Buffer) => {
      arrivals.push(Date.now());
      received += chunk.length;
      taken += chunk.length;
      if (taken >= 64 * 1024) reader.socket.pause();
    });
    const trickle = setInterval(() => {
      taken = 0;
      reader.socket.resume();
    }, 500);
    let cutAt: number;
    try {
      // The snapshot is held while it reads: new frames cannot all be copied.
      await listMore(20, node);
      const pinned = walCheckpoint(node.dbPath);
      if (Date.now() - started < STREAM_MAX_MS) expect(pinned.checkpointed).toBeLessThan(pinned.log);
      // Watched on the node's side: the reader still has bytes in its kernel buffers after the cut.
      cutAt = await waitFor('the node to end the trickling stream', () => !holdsConnection(pid, port) && Date.now(), { timeoutMs: 60_000, intervalMs: 50 });
    } finally {
      clearInterval(trickle);
      reader.socket.destroy();
    }
    const lived = cutAt - started;
    const gaps = arrivals.filter((at) => at <= cutAt).map((at, i, all) => (i === 0 ? at - started : at - all[i - 1]!));
    const wal = await waitFor('a full checkpoint after the stream ended', checkpointed, { timeoutMs: 20_000 });
    console.log(`trickling stream: ${(received / 1e6).toFixed(1)} MB taken, ended after ${lived} ms (limit ${STREAM_MAX_MS}), longest gap between reads ${Math.max(...gaps)} ms; then WAL ${wal.checkpointed}/${wal.log}`);
    expect(lived).toBeGreaterThanOrEqual(STREAM_MAX_MS);
    // The lifetime ended it: the stall timeout cannot fire before 30 s, and data kept coming.
    expect(lived).toBeLessThan(30_000);
    expect(Math.max(...gaps)).toBeLessThan(2_000);
    expect(received).toBeLessThan(10_000_000);
  });
});
