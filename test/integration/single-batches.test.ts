import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { feedHead } from '../../src/store/feed-store.js';
import { LARGE_BATCH_BYTES } from '../../src/ingest/feed-reader.js';
import { descriptorFor, FakePeerServer, leafOf, listEntry, payloadJson, signRaw, testKey, type Handler } from '../helpers/fake-peer.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * After a large batch, the feed reader asks for the next batch alone (`GET …/batches/{seq}`, the
 * raw JWS) rather than for a page. Three fake publishers serve the same shape of feed: a large
 * batch, then two small ones. One serves single batches, one serves only pages, and one serves
 * a forged single batch.
 */
const tmp = tempDir();
const fake = new FakePeerServer();
const requests: string[] = [];
let victim: SpamxNode;

/** Pages capped at 1 MB but holding at least one batch, as a spamx node caps them. */
function cappedPages(publisher: string, jwsList: readonly string[]): Handler {
  return (req, res) => {
    requests.push(req.url!);
    const after = Number(new URL(req.url!, 'http://x').searchParams.get('after') ?? 0);
    const batches: { seq: number; jws: string }[] = [];
    let bytes = 0;
    for (let seq = after + 1; seq <= jwsList.length; seq++) {
      const jws = jwsList[seq - 1]!;
      if (batches.length > 0 && bytes + jws.length > 1_000_000) break;
      batches.push({ seq, jws });
      bytes += jws.length;
    }
    const last = batches.at(-1)?.seq ?? after;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ publisher, batches, next: last < jwsList.length ? last : null }));
  };
}

function single(jws: string): Handler {
  return (req, res) => {
    requests.push(req.url!);
    res.writeHead(200, { 'content-type': 'application/jose' }).end(jws);
  };
}

async function feed(publisher: string): Promise<{ key: Awaited<ReturnType<typeof testKey>>; jws: string[] }> {
  const key = await testKey();
  const big = Array.from({ length: 19_000 }, (_, i) => listEntry(`61.4.${i >> 8}.${i & 255}`));
  const jws: string[] = [];
  let prev: string | null = null;
  for (const [seq, entries] of [[1, big], [2, [listEntry('116.31.64.0/24')]], [3, [listEntry('202.12.27.33')]]] as const) {
    jws.push(await signRaw(key, payloadJson({ publisher, seq, prev, entries: [...entries] })));
    prev = leafOf(jws.at(-1)!);
  }
  return { key, jws };
}

beforeAll(async () => {
  const url = await fake.listen();
  victim = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo' }));
  for (const id of ['big-feed', 'pages-only', 'bad-single']) {
    const { key, jws } = await feed(id);
    expect(jws[0]!.length).toBeGreaterThan(LARGE_BATCH_BYTES);
    fake.routes.set(`/v1/feeds/${id}/batches`, cappedPages(id, jws));
    if (id === 'big-feed') for (const seq of [1, 2, 3]) fake.routes.set(`/v1/feeds/${id}/batches/${seq}`, single(jws[seq - 1]!));
    if (id === 'bad-single') {
      const forged = jws[1]!.slice(0, -2) + (jws[1]!.at(-2) === 'A' ? 'B' : 'A') + jws[1]!.at(-1);
      fake.routes.set(`/v1/feeds/${id}/batches/2`, single(forged));
    }
    await pinPeer(victim.config, parseDescriptor(descriptorFor(id, key), 'fake'), { url });
  }
  await victim.reload();
});

afterAll(async () => {
  await victim?.destroy();
  await fake.close();
  tmp.cleanup();
});

describe('the batch after a large one is fetched alone', () => {
  it('asks for the first batch alone (nothing stored yet), the next alone after a large one, a page after a small one', async () => {
    const report = await victim.pull('big-feed');
    expect(report?.ok).toBe(true);
    expect(report?.batches).toBe(3);
    expect(feedHead(victim.store, 'big-feed').size).toBe(3);
    expect(requests.filter((r) => r.startsWith('/v1/feeds/big-feed/'))).toEqual([
      '/v1/feeds/big-feed/batches/1',
      '/v1/feeds/big-feed/batches/2',
      '/v1/feeds/big-feed/batches?after=2&limit=100',
    ]);
    expect(victim.lookup('202.12.27.33').listed).toBe(true);
    expect(victim.lookup('61.4.40.1').listed).toBe(true);
  });

  it('falls back to pages when the source does not serve single batches (here: answers 404)', async () => {
    const report = await victim.pull('pages-only');
    expect(report?.ok).toBe(true);
    expect(feedHead(victim.store, 'pages-only').size).toBe(3);
    expect(requests.filter((r) => r.startsWith('/v1/feeds/pages-only/'))).toEqual([
      '/v1/feeds/pages-only/batches?after=0&limit=100',
      '/v1/feeds/pages-only/batches?after=1&limit=100',
    ]);
  });

  it('verifies a single batch as any other: a forged one is refused and nothing of it stored', async () => {
    const report = await victim.pull('bad-single');
    expect(report?.ok).toBe(false);
    expect(report?.error).toMatchObject({ code: 'JWS_BAD_SIGNATURE', seq: null });
    expect(feedHead(victim.store, 'bad-single').size).toBe(1);
    expect(victim.store.prepare('SELECT count(*) FROM batches WHERE publisher = ?').pluck().get('bad-single')).toBe(1);
  });

  it('starts with a single batch when the peer\'s last stored batch was large, with pages when it was small', async () => {
    // bad-single's last stored batch (seq 1) is large; big-feed's (seq 3) is small.
    requests.length = 0;
    await victim.pull('big-feed');
    expect(requests).toEqual(['/v1/feeds/big-feed/batches?after=3&limit=100']);
    requests.length = 0;
    fake.routes.set('/v1/feeds/bad-single/batches/2', single((await feed('bad-single')).jws[1]!)); // another key: still refused
    await victim.pull('bad-single');
    expect(requests[0]).toBe('/v1/feeds/bad-single/batches/2');
  });
});
