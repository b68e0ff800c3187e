import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseDescriptor } from '../../src/config/descriptor.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { cosignatureTime } from '../../src/core/cosignature.js';
import { parseCheckpoint } from '../../src/core/checkpoint.js';
import { parseNote, parseVerifierKey, verifyNote } from '../../src/core/signed-note.js';
import type { SpamxNode } from '../../src/daemon.js';
import { feedHead } from '../../src/store/feed-store.js';
import { checkpointVerifier } from '../../src/verify/checkpoint-keys.js';
import { latestCosignatures, listEvidence } from '../../src/store/witness-store.js';
import { descriptorFor, FakePeerServer, testKey } from '../helpers/fake-peer.js';
import { FakeLog } from '../helpers/fake-log.js';
import { initTestNode, pinTestPeer, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Partners as witnesses (PROTOCOL "Transparency"): every pull checks the publisher's checkpoint
 * against the node's own copy of the log, cosigns it, and compares the other partners' cosigned
 * views; a publisher showing two histories is caught within one pull round.
 */
const tmp = tempDir();
const started: SpamxNode[] = [];
const servers: FakePeerServer[] = [];
let now = Date.parse('2026-11-20T00:00:00Z');
const clock = () => now;

let round = 0;

async function node(id: string, config = {}): Promise<SpamxNode> {
  const n = await startTestNode(await initTestNode(join(tmp.path, String(round)), { id, config }), clock);
  started.push(n);
  return n;
}

async function server(): Promise<[FakePeerServer, string]> {
  const s = new FakePeerServer();
  servers.push(s);
  return [s, await s.listen()];
}

async function pinFake(n: SpamxNode, log: FakeLog, url: string): Promise<void> {
  await pinPeer(n.config, parseDescriptor(descriptorFor(log.id, log.key), 'fake'), { url });
  await n.reload();
}

afterEach(async () => {
  round++;
  await Promise.all(started.splice(0).map((n) => n.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => tmp.cleanup());

describe('witnessing partners', () => {
  it('honest partners cosign each other and reach a quorum', async () => {
    const jp = await node('jp-dekyo', { transparency: { witnessQuorum: 2 } });
    const cn = await node('cn-isc');
    const hk = await node('hk-ofta');
    for (const [a, b] of [[jp, cn], [jp, hk], [cn, jp], [cn, hk], [hk, jp], [hk, cn]] as const) await pinTestPeer(a, b);
    cn.reportText('61.4.12.7\n116.31.64.0/24\n');
    await cn.publish();
    expect((await hk.pull('cn-isc'))!.witness).toEqual({ status: 'cosigned', size: 1 });
    expect((await jp.pull('cn-isc'))!.witness).toEqual({ status: 'cosigned', size: 1 });

    // jp's cosigned view: cn's checkpoint, cn's signature, jp's cosignature.
    const text = await (await fetch(`${jp.url}/v1/witness/cn-isc`)).text();
    const note = parseNote(text);
    verifyNote(note, [parseVerifierKey(cn.checkpointKey)]);
    const jpKey = parseVerifierKey(jp.checkpointKey);
    expect(cosignatureTime(note, { name: jpKey.name, publicKey: jpKey.publicKey })).toBe(Math.floor(now / 1000));
    expect(parseCheckpoint(note.text).size).toBe(1);

    const status = jp.status().peers.find((p) => p.id === 'cn-isc')!.witness;
    expect(status.cosignatures.map((c) => c.witness).sort()).toEqual(['spamx/hk-ofta', 'spamx/jp-dekyo']);
    expect(status.witnessed).toMatchObject({ size: 1, quorum: 2 });
    expect(status.stale).toBe(false);
    expect(status.frozen).toBeNull();

    // A partner serves the publisher's checkpoint it verified, so its copy can be audited too.
    expect(await (await fetch(`${jp.url}/v1/feeds/cn-isc/checkpoint`)).text()).toBe(await (await fetch(`${cn.url}/v1/feeds/cn-isc/checkpoint`)).text());
    // The publisher collects its partners' cosignatures of its own log when it pulls them.
    await cn.pull('jp-dekyo');
    await cn.pull('hk-ofta');
    expect(latestCosignatures(cn.store, 'cn-isc').map((c) => c.witness)).toEqual(['spamx/hk-ofta', 'spamx/jp-dekyo']);

    // A day and a half with no new cosignature: the feed is flagged stale (freeze attack).
    now += 36 * 3_600_000;
    expect(jp.status().peers.find((p) => p.id === 'cn-isc')!.witness.stale).toBe(true);
  });

  it('a split view (two histories to two partners) is detected within one pull round', async () => {
    const key = await testKey();
    const honest = new FakeLog('tw-ncc', key);
    const forked = new FakeLog('tw-ncc', key);
    await honest.append(['61.4.12.7']);
    await forked.append(['61.4.12.7']);
    await honest.append(['202.12.27.33']);
    await forked.append(['116.31.64.9']); // same seq 2, another batch
    const notes = [await honest.checkpoint(), await forked.checkpoint()];
    const [s1, url1] = await server();
    const [s2, url2] = await server();
    honest.serve(s1, { checkpoint: () => notes[0]! });
    forked.serve(s2, { checkpoint: () => notes[1]! });

    const jp = await node('jp-dekyo');
    const cn = await node('cn-isc');
    await pinTestPeer(jp, cn);
    await pinTestPeer(cn, jp);
    await pinFake(jp, honest, url1);
    await pinFake(cn, forked, url2);

    expect((await jp.pull('tw-ncc'))!.witness).toEqual({ status: 'cosigned', size: 2 });
    const second = (await cn.pull('tw-ncc'))!;
    expect(second.witness).toMatchObject({ status: 'equivocation' });
    expect(second.witness?.status === 'equivocation' && second.witness.detail).toMatch(/^split-view: spamx\/jp-dekyo cosigned a different log/);

    const [evidence] = listEvidence(cn.store, 'tw-ncc');
    expect(evidence).toMatchObject({ kind: 'split-view', publisher: 'tw-ncc' });
    // Both signed notes are kept, each verifiable with the publisher's checkpoint key.
    const verifier = checkpointVerifier(cn.peers.find((p) => p.id === 'tw-ncc')!);
    const roots = [evidence!.noteA, evidence!.noteB!].map((n) => {
      const parsed = parseNote(n);
      verifyNote(parsed, [verifier]);
      return parseCheckpoint(parsed.text);
    });
    expect(roots[0]!.size).toBe(roots[1]!.size);
    expect(roots[0]!.root.equals(roots[1]!.root)).toBe(false);

    // The feed is frozen at its last trusted state: no further pulls apply anything.
    const status = cn.status();
    expect(status.alarms).toEqual([expect.objectContaining({ publisher: 'tw-ncc', kind: 'split-view' })]);
    expect(status.peers.find((p) => p.id === 'tw-ncc')!.witness.frozen).not.toBeNull();
    await forked.append(['61.9.9.9']);
    const blocked = (await cn.pull('tw-ncc'))!;
    expect(blocked.error?.code).toBe('FEED_FROZEN');
    expect(feedHead(cn.store, 'tw-ncc').size).toBe(2);
  });

  it('a checkpoint contradicting the batches the publisher signed freezes the feed', async () => {
    const log = new FakeLog('tw-ncc', await testKey());
    await log.append(['61.4.12.7']);
    await log.append(['202.12.27.33']);
    const lie = await log.checkpoint(2, log.tree.root(1));
    const [s, url] = await server();
    log.serve(s, { checkpoint: () => lie });
    const jp = await node('jp-dekyo');
    await pinFake(jp, log, url);
    const report = (await jp.pull('tw-ncc'))!;
    expect(report.batches).toBe(2);
    expect(report.witness).toMatchObject({ status: 'equivocation' });
    expect(listEvidence(jp.store)[0]!.kind).toBe('checkpoint-contradicts-log');
  });

  it('rollback is refused, fast-forward is proven by consistency, malformed checkpoints are rejected', async () => {
    const log = new FakeLog('tw-ncc', await testKey());
    for (const a of ['61.4.12.7', '202.12.27.33', '116.31.64.9']) await log.append([a]);
    const notes = { 1: await log.checkpoint(1), 2: await log.checkpoint(2), 3: await log.checkpoint(3) };
    let served = notes[2];
    const [s, url] = await server();
    log.serve(s, { batches: 2, checkpoint: () => served });
    const jp = await node('jp-dekyo');
    await pinFake(jp, log, url);
    expect((await jp.pull('tw-ncc'))!.witness).toEqual({ status: 'cosigned', size: 2 });

    served = notes[1];
    expect((await jp.pull('tw-ncc'))!.witness).toMatchObject({ status: 'rollback' });

    served = notes[3]; // ahead of the two batches held: proven by a consistency proof
    expect((await jp.pull('tw-ncc'))!.witness).toEqual({ status: 'cosigned', size: 3 });
    expect(jp.status().peers.find((p) => p.id === 'tw-ncc')!.witness.trustedSize).toBe(3);

    for (const broken of [
      notes[3].replace(/\n3\n/, '\n03\n'),
      notes[3].replace(/\n3\n/, '\n99999999999999999999\n'),
      notes[3].replace(/=\n\n/, '\n\n'),
      notes[3].replace('spamx/tw-ncc\n', 'spamx/other\n'),
      notes[3].replace(/ (\S)(\S+)\n$/, (_m, a: string, b: string) => ` ${a === 'A' ? 'B' : 'A'}${b}\n`),
    ]) {
      served = broken;
      expect((await jp.pull('tw-ncc'))!.witness).toMatchObject({ status: 'invalid' });
    }
    expect(jp.status().alarms).toEqual([]);
  });
});
