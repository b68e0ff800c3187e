import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { STREAM_CHUNK } from '../../src/ingest/decode-batch.js';
import { feedHead } from '../../src/store/feed-store.js';
import { NODE_AUTOCHECKPOINT_PAGES } from '../../src/store/open-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { descriptorFor, FakePeerServer, leafOf, listEntry, pageHandler, payloadJson, signRaw, testKey, type Handler, type TestKey } from '../helpers/fake-peer.js';
import { initTestNode, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A batch is stored while it is decoded: its accepted entries reach the store a chunk at a time
 * (STREAM_CHUNK entries) inside one transaction that commits only once every check of the
 * batch passed (src/store/apply-batch.ts applyBatchStream). These batches are properly signed
 * by their pinned publishers, so their signatures pass and chunks are merged before the flaw,
 * late in the payload, is found: each must still leave nothing behind. Then an honest feed of
 * large batches goes in whole, under a quota.
 */
const tmp = tempDir();
const fake = new FakePeerServer();
let victim: SpamxNode;

const COUNT = 4 * STREAM_CHUNK + 100;

/** COUNT distinct public /32 list entries from 61.0.0.0/8 upward, starting at `from`. */
function entries(from: number, count = COUNT): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return listEntry(`61.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  });
}

function single(jws: string): Handler {
  return (_req, res) => res.writeHead(200, { 'content-type': 'application/jose' }).end(jws);
}

/** A publisher whose feed is `jwsList`, each batch also served alone (as large batches are fetched). */
async function serve(id: string, key: TestKey, jwsList: readonly string[], quota?: number): Promise<void> {
  fake.routes.set(`/v1/feeds/${id}/batches`, pageHandler(id, jwsList));
  jwsList.forEach((jws, i) => fake.routes.set(`/v1/feeds/${id}/batches/${i + 1}`, single(jws)));
  await pinPeer(victim.config, parseDescriptor(descriptorFor(id, key), 'fake'), { url: fakeUrl, ...(quota ? { quota } : {}) });
}

let fakeUrl: string;

/** Rows any part of the store holds for a publisher. */
function stored(publisher: string) {
  const count = (sql: string) => victim.store.prepare(sql).pluck().get(publisher) as number;
  return {
    head: feedHead(victim.store, publisher),
    listings: count('SELECT count(*) FROM listings WHERE publisher = ?'),
    batches: count('SELECT count(*) FROM batches WHERE publisher = ?'),
    parts: count('SELECT count(*) FROM batch_parts WHERE publisher = ?'),
    refusals: count('SELECT count(*) FROM refusals WHERE publisher = ?'),
  };
}

const NOTHING = { head: { size: 0, head: null }, listings: 0, batches: 0, parts: 0, refusals: 0 };

beforeAll(async () => {
  fakeUrl = await fake.listen();
  victim = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo', config: PUBLIC_FEEDS }));
});

afterAll(async () => {
  await victim?.destroy();
  await fake.close();
  tmp.cleanup();
});

describe('a batch stored while it is decoded', () => {
  it('leaves nothing of a signed batch whose flaw comes after entries were merged', async () => {
    const flawed: [string, string, (payload: string) => string][] = [
      // The last entry names "op" twice: found when the scan reaches it, after the chunks before it.
      ['late-duplicate', 'BATCH_DUPLICATE_KEY', (p) => p.replace(/\{"op":"list"(?=[^{]*\]\}$)/, '{"op":"list","op":"list"')],
      // A trailing comma after the last entry: found when the last chunk is parsed.
      ['late-garbage', 'BATCH_INVALID_JSON', (p) => `${p.slice(0, -2)},]}`],
      // Well-formed, but another publisher's batch: found after every entry was parsed.
      ['wrong-publisher', 'BATCH_WRONG_PUBLISHER', (p) => p.replace('"publisher":"wrong-publisher"', '"publisher":"cn-isc"')],
      // The batch's prev does not match the feed: the last check of all.
      ['broken-prev', 'BATCH_PREV_MISMATCH', (p) => p.replace('"prev":null', `"prev":"${leafOf('elsewhere')}"`)],
    ];
    for (const [id, , flaw] of flawed) {
      const key = await testKey();
      await serve(id, key, [await signRaw(key, flaw(payloadJson({ publisher: id, seq: 1, prev: null, entries: entries(0) })))]);
    }
    await victim.reload();
    for (const [id, code] of flawed) {
      const report = await victim.pull(id);
      expect({ id, code: report?.error?.code }).toEqual({ id, code });
      expect({ id, ...stored(id) }).toEqual({ id, ...NOTHING });
    }
    expect(victim.store.prepare("SELECT count(*) FROM pending_keys").pluck().get()).toBe(0);
    // The node served throughout and still does.
    expect((await fetch(`${victim.url}/v1/feeds`)).status).toBe(200);
  });

  it('downloads the first batch while the key statements are fetched, and verifies it once they are in', async () => {
    const id = 'keys-while-downloading';
    const key = await testKey();
    const jws = await signRaw(key, payloadJson({ publisher: id, seq: 1, prev: null, entries: entries(100_000, 1000) }));
    await serve(id, key, [jws]);
    const events: string[] = [];
    fake.routes.set(`/v1/feeds/${id}/batches/1`, (_req, res) => {
      events.push('batch asked');
      res.writeHead(200, { 'content-type': 'application/jose' }).end(jws);
    });
    // The key statements answer only once the batch was asked for (or after 5 s): a pull that
    // waited for them before asking would show the opposite order. 404 is a node without
    // statements, which changes nothing.
    fake.routes.set(`/v1/feeds/${id}/keys`, (_req, res) => {
      const started = Date.now();
      const answer = () => {
        if (!events.includes('batch asked') && Date.now() - started < 5000) return void setTimeout(answer, 10);
        events.push('keys answered');
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
      };
      answer();
    });
    await victim.reload();
    const report = await victim.pull(id);
    expect(report?.ok).toBe(true);
    expect(report?.listed).toBe(1000);
    expect(events).toEqual(['batch asked', 'keys answered']);
  });

  it('stores a feed of large batches whole, with quota refusals and delistings, in its own transactions', async () => {
    const id = 'honest-big';
    const key = await testKey();
    const quota = COUNT + 1000;
    const first = entries(0);
    // Batch 2: delists 5,000 of batch 1, lists 2,000 of batch 1 again and COUNT - 7,000 new ones.
    const delists = first.slice(0, 5000).map((e) => ({ op: 'delist', prefix: e.prefix }));
    const again = first.slice(5000, 7000);
    const fresh = entries(COUNT, COUNT - 7000);
    const jws1 = await signRaw(key, payloadJson({ publisher: id, seq: 1, prev: null, entries: first }));
    const jws2 = await signRaw(key, payloadJson({ publisher: id, seq: 2, prev: leafOf(jws1), entries: [...delists, ...again, ...fresh] }));
    await serve(id, key, [jws1, jws2], quota);
    await victim.reload();
    const databaseBytes = () => statSync(victim.store.db.name).size;
    const before = databaseBytes();
    const report = await victim.pull(id);
    expect(report?.ok).toBe(true);
    expect(report?.batches).toBe(2);
    const active = () => victim.store.prepare(`SELECT count(*) FROM listings WHERE publisher = ? AND op = 'list'`).pluck().get(id) as number;
    // Batch 1 fits (COUNT ≤ quota). Batch 2 frees 5,000 places; the 2,000 relisted replace
    // themselves; of the new ones only as many as the quota leaves room for are admitted.
    const room = quota - (COUNT - 5000);
    expect(active()).toBe(quota);
    expect(report?.delisted).toBe(5000);
    expect(report?.listed).toBe(COUNT + 2000 + room);
    expect(report?.refused).toBe(fresh.length - room);
    const quotaRefused = victim.store.prepare(`SELECT count(*) FROM refusals WHERE publisher = ? AND code = 'QUOTA_EXCEEDED'`).pluck().get(id);
    expect(quotaRefused).toBe(fresh.length - room);
    expect(stored(id)).toMatchObject({ head: { size: 2, head: leafOf(jws2) }, batches: 2 });
    // Every batch is stored verbatim, byte for byte.
    for (const [seq, jws] of [[1, jws1], [2, jws2]] as const) {
      const res = await fetch(`${victim.url}/v1/feeds/${id}/batches/${seq}`);
      expect(await res.text()).toBe(jws);
    }
    // The batches' pages reach the database file from the WAL by the reader thread's checkpoint:
    // the node's own connection checkpoints only past 64 MB, and not in a pulled batch's commit.
    expect(victim.store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(NODE_AUTOCHECKPOINT_PAGES);
    await waitFor('the checkpoint by the reader thread', () => databaseBytes() > before + jws1.length + jws2.length);
    // And what the listings hold is what the entries said.
    const row = victim.store.prepare('SELECT prefix, reports, category FROM listings WHERE publisher = ? AND key = (SELECT min(key) FROM listings WHERE publisher = ? AND op = ?)').get(id, id, 'list');
    expect(row).toEqual({ prefix: `${String(again[0]!.prefix)}/32`, reports: 3, category: 'spam-origin' });
  });
});
