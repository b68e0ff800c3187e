import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { FAST_PULL, initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The pull lease (`peer_state.lease_owner`/`lease_until`) that keeps two processes from pulling
 * one peer at once: held by a live process it turns a second pull away, expired or left by a
 * dead process it is taken over, and a long pull renews it once a third of it has passed rather
 * than before every batch. A trigger added to the puller's real SQLite store records every move
 * of the lease.
 */
const tmp = tempDir();
let publisher: SpamxNode;
const nodes: SpamxNode[] = [];

beforeAll(async () => {
  publisher = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  for (const address of ['61.4.12.7', '61.4.12.8', '61.4.12.9']) {
    publisher.reportText(address);
    await publisher.publish();
  }
});

afterAll(async () => {
  await Promise.all([publisher, ...nodes].map((n) => n?.destroy()));
  tmp.cleanup();
});

async function puller(id: string, leaseMs: number, clock?: () => number): Promise<SpamxNode> {
  const dir = await initTestNode(tmp.path, { id, config: { pull: { ...FAST_PULL, defaultSchedule: '0 0 1 1 *', leaseMs } } });
  const node = await startTestNode(dir, clock);
  nodes.push(node);
  await pinTestPeer(node, publisher);
  node.store.db.exec(`CREATE TABLE lease_log (owner TEXT, until INTEGER);
    CREATE TRIGGER lease_moves AFTER UPDATE OF lease_until ON peer_state
    BEGIN INSERT INTO lease_log VALUES (new.lease_owner, new.lease_until); END;`);
  return node;
}

const leaseMoves = (node: SpamxNode) => node.store.db.prepare('SELECT owner, until FROM lease_log ORDER BY rowid').all() as { owner: string | null; until: number | null }[];

describe('pull lease', () => {
  it('is renewed during a long pull once a third of it has passed, not before every batch', async () => {
    // Every reading of the clock moves it a second on, so a pull of three batches "lasts" many seconds.
    let now = Date.parse('2026-11-24T00:00:00Z');
    const tick = () => (now += 1_000);
    const quick = await puller('jp-quick', 900_000, tick);
    expect((await quick.pull('cn-isc'))?.batches).toBe(3);
    const moves = leaseMoves(quick);
    // Taken, then released: nothing in between, the lease never came near its end.
    expect(moves.map((m) => m.until === null)).toEqual([false, true]);

    const slow = await puller('jp-slow', 3_000, tick);
    expect((await slow.pull('cn-isc'))?.batches).toBe(3);
    const held = leaseMoves(slow).filter((m) => m.until !== null);
    expect(held.length).toBeGreaterThan(1); // taken, then renewed at least once
    expect(new Set(held.map((m) => m.owner)).size).toBe(1);
    for (let i = 1; i < held.length; i++) expect(held[i]!.until).toBeGreaterThan(held[i - 1]!.until! + 1_000);
    expect(leaseMoves(slow).at(-1)).toEqual({ owner: null, until: null });
  });

  it('turns a pull away while a live process holds the lease, and takes over an expired or abandoned one', async () => {
    const node = await puller('jp-second', 900_000);
    const plant = (owner: string, until: number) =>
      node.store.db.prepare(`INSERT INTO peer_state (peer, lease_owner, lease_until) VALUES ('cn-isc', ?, ?)
        ON CONFLICT (peer) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until`).run(owner, until);
    const live = `${hostname()}:${process.pid}:another-pull`; // this very process, so alive
    plant(live, Date.now() + 60_000);
    const busy = await node.pull('cn-isc');
    expect(busy?.error?.code).toBe('PEER_BUSY');
    expect(busy?.batches).toBe(0);

    plant(live, Date.now() - 1); // expired
    const expired = await node.pull('cn-isc');
    expect(expired?.error).toBeUndefined();
    expect(expired?.ok).toBe(true);

    // A process that has exited: its lease is left over from a crash.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    plant(`${hostname()}:${dead}:crashed-pull`, Date.now() + 60_000);
    const taken = await node.pull('cn-isc');
    expect(taken?.ok).toBe(true);
    expect(node.store.db.prepare(`SELECT lease_owner FROM peer_state WHERE peer = 'cn-isc'`).pluck().get()).toBeNull();
  });
});
