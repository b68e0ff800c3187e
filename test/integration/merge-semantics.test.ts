import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { mergedRows } from '../../src/store/merged-query.js';
import { effectiveRows } from '../../src/store/effective-query.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * PROTOCOL "Merged store semantics" with a hand-driven clock: two publishers, one subscriber
 * node. Delisting or expiry by one source never unlists what another source still lists, and
 * the merged row aggregates only active sources.
 */
const DAY = 86_400_000;
const tmp = tempDir();
let now = Date.parse('2026-11-01T00:00:00Z');
const clock = () => now;
let a: SpamxNode;
let b: SpamxNode;
let hub: SpamxNode;

const iso = (ms: number) => new Date(ms).toISOString();
const listed = (node: SpamxNode) => [...mergedRows(node.store, now)].map((r) => r.prefix);

async function exchange(): Promise<void> {
  await a.publish();
  await b.publish();
  const reports = await hub.pullAll();
  for (const r of reports) expect(r.error).toBeUndefined();
  expectProjectionMatches(hub);
}

/** The effective list served to subscribers equals the merged view computed from listings. */
function expectProjectionMatches(node: SpamxNode): void {
  node.project();
  const merged = [...mergedRows(node.store, now)].map((r) => ({
    prefix: r.prefix,
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
    reports: r.reports,
    expires: r.expires,
    sources: r.sources.split(' ').sort().join(' '),
  }));
  const served = [...effectiveRows(node.store)].map(({ prefix, firstSeen, lastSeen, reports, expires, sources }) => ({
    prefix,
    firstSeen,
    lastSeen,
    reports,
    expires,
    sources,
  }));
  expect(served).toEqual(merged);
}

beforeAll(async () => {
  a = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }), clock);
  b = await startTestNode(await initTestNode(tmp.path, { id: 'hk-ofta', config: PUBLIC_FEEDS }), clock);
  hub = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo' }), clock);
  await pinTestPeer(hub, a);
  await pinTestPeer(hub, b);
});

afterAll(async () => {
  await Promise.all([a, b, hub].map((n) => n?.destroy()));
  tmp.cleanup();
});

describe('merged store semantics', () => {
  it('aggregates active sources: earliest firstSeen, latest lastSeen, summed reports, latest expiry', async () => {
    const header = 'prefix,first_seen,last_seen,reports,expires\n';
    a.reportText(`${header}61.4.12.7,${iso(now - 5 * DAY)},${iso(now - 2 * DAY)},4,${iso(now + 10 * DAY)}\n`);
    b.reportText(`${header}61.4.12.7,${iso(now - 3 * DAY)},${iso(now - DAY)},6,${iso(now + 20 * DAY)}\n`);
    await exchange();
    const [row] = [...mergedRows(hub.store, now)];
    expect(row).toMatchObject({
      prefix: '61.4.12.7/32',
      firstSeen: now - 5 * DAY,
      lastSeen: now - DAY,
      reports: 10,
      expires: now + 20 * DAY,
      sourceCount: 2,
    });
  });

  it('one source delisting does not unlist a prefix the other still lists', async () => {
    a.reportText('116.31.64.0/24\n');
    b.reportText('116.31.64.0/24\n');
    await exchange();
    a.delist(['116.31.64.0/24'], 'false-positive');
    await exchange();
    expect(listed(hub)).toContain('116.31.64.0/24');
    expect(hub.lookup('116.31.64.9').matches[0]!.sources.map((s) => [s.publisher, s.state])).toEqual([
      ['cn-isc', 'delisted'],
      ['hk-ofta', 'active'],
    ]);
    b.delist(['116.31.64.0/24'], null);
    await exchange();
    expect(listed(hub)).not.toContain('116.31.64.0/24');
  });

  it('one source expiring does not unlist a prefix the other still lists; both expiring does', async () => {
    const header = 'prefix,last_seen,expires\n';
    a.reportText(`${header}202.12.27.33,${iso(now)},${iso(now + 2 * DAY)}\n`);
    b.reportText(`${header}202.12.27.33,${iso(now)},${iso(now + 4 * DAY)}\n`);
    await exchange();
    now += 3 * DAY;
    expect(listed(hub)).toContain('202.12.27.33/32');
    expectProjectionMatches(hub);
    const [row] = [...mergedRows(hub.store, now)].filter((r) => r.prefix === '202.12.27.33/32');
    expect(row!.sources).toBe('hk-ofta');
    now += 2 * DAY;
    expect(listed(hub)).not.toContain('202.12.27.33/32');
    expectProjectionMatches(hub);
    expect(hub.lookup('202.12.27.33').matches[0]!.sources.every((s) => s.state === 'expired')).toBe(true);
  });

  it('a later list by the same publisher replaces its earlier one', async () => {
    const header = 'prefix,reports,expires\n';
    a.reportText(`${header}61.200.1.1,3,${iso(now + DAY)}\n`);
    await exchange();
    a.reportText(`${header}61.200.1.1,7,${iso(now + 9 * DAY)}\n`);
    await exchange();
    const [row] = [...mergedRows(hub.store, now)].filter((r) => r.prefix === '61.200.1.1/32');
    expect(row).toMatchObject({ reports: 7, expires: now + 9 * DAY, sourceCount: 1 });
  });

  it('caps expiry at the node policy maximum after the batch was issued', async () => {
    const header = 'prefix,expires\n';
    a.reportText(`${header}61.201.1.1,${iso(now + 1000 * DAY)}\n`);
    await exchange();
    const [row] = [...mergedRows(hub.store, now)].filter((r) => r.prefix === '61.201.1.1/32');
    expect(row!.expires).toBe(now + 90 * DAY);
  });

  it('ingesting a feed twice changes nothing, and pull order does not matter', async () => {
    const before = JSON.stringify([...mergedRows(hub.store, now)]);
    await hub.pullAll();
    expect(JSON.stringify([...mergedRows(hub.store, now)])).toBe(before);
    // A fresh node pulling the same feeds in the opposite order ends with the same store.
    const other = await startTestNode(await initTestNode(tmp.path, { id: 'tw-ncc' }), clock);
    try {
      await pinTestPeer(other, b);
      await pinTestPeer(other, a);
      await other.pull('hk-ofta');
      await other.pull('cn-isc');
      expect(JSON.stringify([...mergedRows(other.store, now)])).toBe(before);
    } finally {
      await other.destroy();
    }
  });
});
