import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parsePrefix, type Prefix } from '../../src/core/prefix.js';
import { SpamxNode } from '../../src/daemon.js';
import { ChangeFollower } from '../../src/read/change-follower.js';
import { pruneChanges } from '../../src/store/effective-query.js';
import { logPositions } from '../../src/store/read-logs.js';
import { prunePendingKeys, lastPendingId } from '../../src/store/projector.js';
import { initTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

const log = pino({ level: 'silent' });

function address(text: string): Prefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.prefix;
}

const v4 = (text: string) => text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** Distinct public /32s: 95.162.x.y. */
const addresses = (from: number, count: number) => Array.from({ length: count }, (_, i) => `95.162.${(from + i) >> 8}.${(from + i) & 255}`);

describe('the read side follower (read/change-follower.ts) over a real store', () => {
  const tmp = tempDir();
  let node: SpamxNode;

  const publish = async (text: string) => {
    node.reportText(text);
    await node.publish();
    node.project();
  };

  // The node is not started: the test drives its follower, the one its projection keeps
  // `pending_keys` for, and builds others beside it.
  let follower: ChangeFollower;
  beforeAll(async () => {
    node = await SpamxNode.create({ dataDir: await initTestNode(tmp.path, { id: 'jp-dekyo', config: { dnsbl: { port: 0, zone: 'bl.test' } } }), logger: log });
    follower = node.ctx.follower;
    await publish('61.4.12.0/24\n211.13.5.7\n');
  });
  afterAll(async () => {
    await node.destroy();
    tmp.cleanup();
  });

  it('builds both models from one snapshot, at the positions of the logs', async () => {
    expect(follower.models).toBeUndefined();
    await follower.start();
    {
      const { dnsbl, lookup } = follower.models!;
      expect(dnsbl!.lookupV4(v4('61.4.12.9'))).toBe('jp-dekyo');
      expect(dnsbl!.lookupV4(v4('61.4.13.9'))).toBeUndefined();
      const facts = lookup.facts(address('211.13.5.7/32'));
      expect(facts.pieces.map((p) => p.prefix)).toEqual(['211.13.5.7/32']);
      expect(facts.listings[0]!.sources.map((s) => s.publisher)).toEqual(['jp-dekyo']);
      expect(follower.serial).toBe(logPositions(node.store).changes);
      expect(follower.pendingPosition).toBe(logPositions(node.store).pending);
    }
    // A second follower built now starts from the same place.
    const beside = new ChangeFollower(node.store, log, { dnsbl: false });
    await beside.start();
    try {
      expect(beside.models!.dnsbl).toBeUndefined();
      expect(beside.serial).toBe(follower.serial);
      expect(beside.models!.lookup.size).toBe(follower.models!.lookup.size);
    } finally {
      await beside.stop();
    }
  });

  it('moves both models forward along the logs, at once for a lookup (syncNow)', async () => {
    {
      const before = follower.serial;
      node.delist(['61.4.12.0/24'], 'cleaned up');
      await node.publish();
      node.project();
      await publish('223.25.1.1\n');
      const models = follower.syncNow('after two batches')!;
      expect(models.dnsbl!.lookupV4(v4('61.4.12.9'))).toBeUndefined();
      expect(models.dnsbl!.lookupV4(v4('223.25.1.1'))).toBe('jp-dekyo');
      expect(models.lookup.facts(address('61.4.12.9/32')).listings[0]!.sources[0]!.op).toBe('delist');
      expect(follower.serial).toBeGreaterThan(before);
      // The same stamp again: nothing is read.
      expect(follower.syncNow('after two batches')).toBe(models);
    }
  });

  it('catches up a page at a time, giving the event loop turns in between (refresh)', async () => {
    // The node's own follower stops here, its position kept, so the node's projection prunes
    // no `pending_keys` past it; a follower that does not poll shows the paging.
    await follower.stop();
    const paged = new ChangeFollower(node.store, log, { dnsbl: true, pollMs: 60_000 });
    await paged.start();
    try {
      const many = addresses(0, 12_000);
      await publish(many.join('\n'));
      let yielded = false;
      paged.refresh(); // the first page is read now, the others on later turns
      // Runs on the next turn: the last page must still be unread then, or the catch-up never yielded.
      setImmediate(() => (yielded = paged.models!.dnsbl!.lookupV4(v4(many.at(-1)!)) === undefined));
      expect(paged.models!.dnsbl!.lookupV4(v4(many.at(-1)!))).toBeUndefined();
      await paged.settled();
      expect(yielded).toBe(true);
      for (const a of [many[0]!, many[6_000]!, many.at(-1)!]) expect(paged.models!.dnsbl!.lookupV4(v4(a))).toBe('jp-dekyo');
      expect(paged.models!.lookup.facts(address(`${many.at(-1)!}/32`)).listings).toHaveLength(1);
    } finally {
      await paged.stop();
    }
  });

  it('starts again from a fresh snapshot when a log was pruned past it, serving the old models meanwhile', async () => {
    const behind = new ChangeFollower(node.store, log, { dnsbl: true, pollMs: 60_000 });
    await behind.start();
    try {
      const old = behind.models!;
      await publish(addresses(20_000, 3).join('\n'));
      // Retention cut the change log and the pending keys while the follower did not look.
      pruneChanges(node.store, Date.now() + 1_000);
      prunePendingKeys(node.store, lastPendingId(node.store));
      behind.refresh();
      expect(behind.rebuildingSnapshot).toBe(true);
      expect(behind.models).toBe(old);
      await behind.settled();
      expect(behind.models).not.toBe(old);
      expect(behind.models!.dnsbl!.lookupV4(v4(addresses(20_000, 1)[0]!))).toBe('jp-dekyo');
      expect(behind.serial).toBe(logPositions(node.store).changes);
    } finally {
      await behind.stop();
    }
  });
});
