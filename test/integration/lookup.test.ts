import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { descriptorFor, FakePeerServer, listEntry, pageHandler, payloadJson, signRaw, testKey } from '../helpers/fake-peer.js';
import { pinPeer } from '../../src/config/pin-peer.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { initTestNode, pinTestPeer, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

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

beforeAll(async () => {
  hubDir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
  hub = await startTestNode(hubDir, () => now);
  source = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc' }), () => now);
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

  it('rejects what is not an address', async () => {
    const res = await fetch(`${hub.url}/v1/lookup/61.4.12.0%2F24`);
    expect(res.status).toBe(400);
  });
});
