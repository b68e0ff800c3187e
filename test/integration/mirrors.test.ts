import { afterAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { FakePeerServer, pageHandler } from '../helpers/fake-peer.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A publisher that goes offline is still reachable through its partners: a node serves verified
 * copies of the feeds it holds, and a puller falls back to a peer's mirrors, verifying every
 * batch against the publisher's pinned key whoever served it.
 */
const tmp = tempDir();
const started: SpamxNode[] = [];
const fake = new FakePeerServer();

afterAll(async () => {
  await Promise.all(started.map((n) => n.destroy().catch(() => undefined)));
  await fake.close();
  tmp.cleanup();
});

async function node(id: string): Promise<SpamxNode> {
  const n = await startTestNode(await initTestNode(tmp.path, { id, config: PUBLIC_FEEDS }));
  started.push(n);
  return n;
}

describe('mirrors', () => {
  it('pulls an unreachable publisher feed from a mirror, verified with the publisher key', async () => {
    const publisher = await node('hk-ofta');
    const mirror = await node('cn-isc');
    const puller = await node('jp-dekyo');
    publisher.reportText('61.4.12.7\n202.12.27.33\n');
    await publisher.publish();
    publisher.reportText('116.31.64.0/24\n');
    await publisher.publish();
    await pinTestPeer(mirror, publisher);
    expect((await mirror.pull('hk-ofta'))!.batches).toBe(2);
    const feeds = (await (await fetch(`${mirror.url}/v1/feeds`)).json()) as { publisher: string; size: number }[];
    expect(feeds).toContainEqual(expect.objectContaining({ publisher: 'hk-ofta', size: 2 }));

    // A forged "mirror" serves a batch it signed itself under the publisher's name.
    const forged = await fake.listen();
    const stranger = await node('tw-ncc');
    stranger.reportText('61.9.9.9\n');
    await stranger.publish();
    const strangerBatch = ((await (await fetch(`${stranger.url}/v1/feeds/tw-ncc/batches?after=0`)).json()) as { batches: { jws: string }[] })
      .batches[0]!.jws;
    fake.routes.set('/v1/feeds/hk-ofta/batches', pageHandler('hk-ofta', [strangerBatch]));

    await pinTestPeer(puller, publisher, { mirrors: [forged, mirror.url] });
    await publisher.destroy();
    const report = (await puller.pull('hk-ofta'))!;
    // The publisher is down; the forged mirror is tried and rejected for its key; the honest
    // mirror's copies verify against the pinned key.
    expect(report.failedSources.map((f) => f.code)).toEqual(['PEER_UNREACHABLE', 'JWS_UNKNOWN_KID']);
    expect(report.error).toBeUndefined();
    expect(report.source).toBe(mirror.url);
    expect(report.toSeq).toBe(2);
    expect(puller.lookup('116.31.64.1').listed).toBe(true);
    expect(puller.lookup('61.9.9.9').listed).toBe(false);
  });
});
