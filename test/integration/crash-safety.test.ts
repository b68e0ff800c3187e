import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { spawnServe } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A node killed with SIGKILL while it applies a 100,000-entry batch must come back with either
 * the whole batch or none of it, an intact store, and then finish the pull.
 */
const ENTRIES = 100_000;
const tmp = tempDir();
let publisher: SpamxNode;
let victimDir: string;
let jwsBytes: number;

function counts(dir: string) {
  const db = new Database(join(dir, 'spamx.db'), { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      batches: db.prepare(`SELECT count(*) FROM batches WHERE publisher = 'cn-isc'`).pluck().get() as number,
      listings: db.prepare(`SELECT count(*) FROM listings WHERE publisher = 'cn-isc'`).pluck().get() as number,
      // Bytes of the stored JWS's parts (store/batch-parts.ts): all of them or none.
      jwsBytes: db.prepare(`SELECT coalesce(sum(octet_length(text)), 0) FROM batch_parts WHERE publisher = 'cn-isc'`).pluck().get() as number,
      size: (db.prepare(`SELECT size FROM feeds WHERE publisher = 'cn-isc'`).pluck().get() as number | undefined) ?? 0,
    };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  publisher = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  const lines: string[] = [];
  for (let i = 0; i < ENTRIES; i++) lines.push(`61.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  expect(publisher.reportText(lines.join('\n')).accepted).toHaveLength(ENTRIES);
  expect((await publisher.publish()).map((b) => b.entries)).toEqual([ENTRIES]);
  jwsBytes = publisher.store.prepare('SELECT jws_bytes FROM batches WHERE seq = 1').pluck().get() as number;
  expect(jwsBytes).toBeGreaterThan(2 << 20); // several parts
  victimDir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
  const victim = await startTestNode(victimDir);
  await pinTestPeer(victim, publisher);
  await victim.destroy();
});

afterAll(async () => {
  await publisher?.destroy();
  tmp.cleanup();
});

describe('crash while applying a large batch', () => {
  it('restarts with the whole batch or none of it, then completes', async () => {
    const serve = await spawnServe(victimDir);
    const token = (await import('node:fs')).readFileSync(join(victimDir, 'operator.token'), 'utf8').trim();
    void fetch(`${serve.url}/v1/peers/cn-isc/pull`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    // The node logs this line synchronously right before the batch's transaction begins.
    await waitFor('the node to start applying the batch', () => serve.lines().some((l) => l.msg === 'applying batch'), {
      intervalMs: 5,
    });
    await serve.kill();
    const after = counts(victimDir);
    expect(after.integrity).toBe('ok');
    expect([
      { batches: 0, listings: 0, size: 0, jwsBytes: 0 },
      { batches: 1, listings: ENTRIES, size: 1, jwsBytes },
    ]).toContainEqual({ batches: after.batches, listings: after.listings, size: after.size, jwsBytes: after.jwsBytes });

    const again = await spawnServe(victimDir);
    try {
      const res = await fetch(`${again.url}/v1/peers/cn-isc/pull`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
    expect(counts(victimDir)).toEqual({ integrity: 'ok', batches: 1, listings: ENTRIES, size: 1, jwsBytes });
  });
});
