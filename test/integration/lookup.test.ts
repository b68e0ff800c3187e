import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpamxNode } from '../../src/daemon.js';
import { descriptorFor, FakePeerServer, listEntry, pageHandler, payloadJson, signRaw, testKey } from '../helpers/fake-peer.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `GET /v1/lookup/{ip}`: listed or not, by which pieces and sources, each source's batch, and
 * for an address a source reported but the node does not list, why.
 */
const DAY = 86_400_000;
const tmp = tempDir();
const fake = new FakePeerServer();
let now = Date.parse('2026-11-01T00:00:00Z');
let hub: SpamxNode;
let source: SpamxNode;
let hubDir: string;

interface Lookup {
  listed: boolean;
  listedBy: { prefix: string; sources: string[] }[];
  matches: { prefix: string; sources: { publisher: string; state: string; batch: { seq: number; leafHash: string; url: string } }[] }[];
  refusals: { publisher: string; code: string; prefix: string }[];
  notListedBecause: string[];
}

async function lookup(ip: string): Promise<Lookup> {
  const res = await fetch(`${hub.url}/v1/lookup/${ip}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Lookup;
}

async function waitForLookup(ip: string, done: (r: Lookup) => boolean): Promise<Lookup> {
  return waitFor(`lookup of ${ip}`, async () => {
    const r = await lookup(ip);
    return done(r) && r;
  });
}

beforeAll(async () => {
  // Public feeds: a lookup names the batch's URL on this node, fetched below without a signature.
  hubDir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: PUBLIC_FEEDS });
  hub = await startTestNode(hubDir, () => now);
  source = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }), () => now);
  const iso = (ms: number) => new Date(ms).toISOString();
  source.reportText(`prefix,expires\n61.4.12.7,${iso(now + 30 * DAY)}\n116.31.64.0/24,${iso(now + 30 * DAY)}\n202.12.27.33,${iso(now + DAY)}\n61.9.9.9,${iso(now + 30 * DAY)}\n`);
  await source.publish();
  await pinTestPeer(hub, source);
  // A peer whose batch carries an entry this node's policy refuses.
  const key = await testKey();
  const url = await fake.listen();
  const jws = await signRaw(key, payloadJson({ publisher: 'hk-ofta', seq: 1, prev: null, entries: [listEntry('58.0.0.0/8'), listEntry('58.5.5.5')] }));
  fake.routes.set('/v1/feeds/hk-ofta/batches', pageHandler('hk-ofta', [jws]));
  await pinPeer(hub.config, parseDescriptor(descriptorFor('hk-ofta', key), 'fake'), { url });
  await hub.reload();
  for (const r of await hub.pullAll()) expect(r.error).toBeUndefined();
  source.delist(['61.9.9.9'], 'false-positive');
  await source.publish();
  await hub.pull('cn-isc');
});

afterAll(async () => {
  await hub?.destroy();
  await source?.destroy();
  await fake.close();
  tmp.cleanup();
});

describe('lookup', () => {
  it('names the piece, the sources and the batch that listed an address', async () => {
    const r = await lookup('116.31.64.9');
    expect(r.listed).toBe(true);
    expect(r.listedBy).toEqual([expect.objectContaining({ prefix: '116.31.64.0/24', sources: ['cn-isc'] })]);
    const src = r.matches[0]!.sources[0]!;
    expect(src).toMatchObject({ publisher: 'cn-isc', state: 'active', batch: { seq: 1 } });
    expect(src.batch.leafHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const batch = await fetch(src.batch.url);
    expect(batch.status).toBe(200);
    expect(batch.headers.get('content-type')).toBe('application/jose');
  });

  it('explains delisted, expired, refused and allowlisted addresses', async () => {
    const delisted = await lookup('61.9.9.9');
    expect(delisted.listed).toBe(false);
    expect(delisted.notListedBecause).toEqual(['cn-isc delisted 61.9.9.9/32 (false-positive)']);

    now += 2 * DAY;
    const expired = await lookup('202.12.27.33');
    expect(expired.listed).toBe(false);
    expect(expired.notListedBecause[0]).toMatch(/^cn-isc's listing of 202\.12\.27\.33\/32 expired at /);

    const refused = await lookup('58.5.77.1');
    expect(refused.listed).toBe(false);
    expect(refused.refusals).toEqual([expect.objectContaining({ publisher: 'hk-ofta', code: 'PREFIX_TOO_SHORT', prefix: '58.0.0.0/8' })]);
    expect(refused.notListedBecause).toEqual(["hk-ofta's report of 58.0.0.0/8 was refused: PREFIX_TOO_SHORT"]);
    expect((await lookup('58.5.5.5')).listedBy[0]!.sources).toEqual(['hk-ofta']); // its /32 in the same batch was accepted

    writeFileSync(join(hubDir, 'allowlist.txt'), '61.4.12.7\n');
    await hub.reload();
    const allowlisted = await lookup('61.4.12.7');
    expect(allowlisted.listed).toBe(false);
    expect(allowlisted.notListedBecause).toContain('allowlisted by 61.4.12.7/32');
    expect(allowlisted.matches[0]!.sources[0]!.state).toBe('active');
  });

  it('answers from its in-memory index exactly as a one-off lookup from SQLite does', async () => {
    // A node that is not started (as the CLI's) reads SQLite for each lookup; the serving hub
    // answers from its LookupIndex. Every case above must come out the same, byte for byte
    // except for the node's own URL in batch links.
    const offline = await SpamxNode.create({ dataDir: hubDir, clock: () => now });
    try {
      for (const ip of ['116.31.64.9', '61.9.9.9', '202.12.27.33', '58.5.77.1', '58.5.5.5', '61.4.12.7', '8.8.4.4', '10.1.2.3', '2001:db8::1', '2400:cb00::1']) {
        const served = await (await fetch(`${hub.url}/v1/lookup/${ip}`)).text();
        const direct = JSON.stringify(offline.lookup(ip)).replaceAll(offline.url, hub.url);
        expect(served, ip).toBe(direct);
      }
    } finally {
      await offline.destroy();
    }
  });

  it('follows what another process writes to the store while it serves', async () => {
    // `spamx report` and `spamx publish` beside `spamx serve`: the index catches up on the
    // next lookup once the hub sees the store changed.
    const writer = await SpamxNode.create({ dataDir: hubDir, clock: () => now });
    try {
      writer.reportText('95.161.12.0/24\n');
      await writer.publish();
      writer.project(); // the writer projects (as `spamx export` does): the hub's index must not miss the listing
      await waitForLookup('95.161.12.77', (r) => r.listed);
      const r = await lookup('95.161.12.77');
      expect(r.matches.map((m) => m.sources.map((s) => `${m.prefix} ${s.publisher} ${s.state}`))).toEqual([['95.161.12.0/24 jp-dekyo active']]);
      writer.delist(['95.161.12.0/24'], 'resolved');
      await writer.publish();
      const after = await waitForLookup('95.161.12.77', (x) => !x.listed);
      expect(after.notListedBecause).toEqual(['jp-dekyo delisted 95.161.12.0/24 (resolved)']);
    } finally {
      await writer.destroy();
    }
  });

  it('starts again from a snapshot when the log it follows was pruned past it', async () => {
    const position = () => hub.ctx.follower.pendingPosition!;
    await lookup('8.8.4.4');
    const before = position();
    // Sixty batches while nobody looks anything up: the hub prunes the projected rows even
    // though its index has not read them (it lags by more than 50).
    const writer = await SpamxNode.create({ dataDir: hubDir, clock: () => now });
    try {
      for (let i = 0; i < 60; i++) {
        writer.reportText(`95.162.${i}.0/24\n`);
        await writer.publish();
      }
    } finally {
      await writer.destroy();
    }
    await waitFor('the hub to prune pending keys', () => {
      hub.project();
      const oldest = hub.store.prepare('SELECT min(id) FROM pending_keys').pluck().get() as number | null;
      return oldest === null || oldest > before + 1;
    });
    // Another process's writes show within the hub's stamp check (100 ms) and a projection.
    await waitForLookup('95.162.59.1', (r) => r.listed);
    for (const i of [0, 59]) expect((await lookup(`95.162.${i}.1`)).listedBy.map((p) => p.prefix)).toEqual([`95.162.${i}.0/24`]);
    await hub.ctx.follower.settled(); // a lookup far behind reads SQLite while the models catch up
    expect(position()).toBeGreaterThan(before + 59);
  });

  it('rejects what is not an address', async () => {
    const res = await fetch(`${hub.url}/v1/lookup/61.4.12.0%2F24`);
    expect(res.status).toBe(400);
  });
});
