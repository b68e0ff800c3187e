import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { effectiveRows } from '../../src/store/effective-query.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A piece of the effective list can come from two listed prefixes: a range carved around an
 * allowlisted hole yields a piece that another listing names exactly. When one of them goes,
 * the piece must carry the values of the one that stays, expiry included.
 */
const DAY = 86_400_000;
const tmp = tempDir();
let now = Date.parse('2026-11-01T00:00:00Z');
let node: SpamxNode;
const iso = (ms: number) => new Date(ms).toISOString();

async function list(prefix: string, days: number): Promise<void> {
  expect(node.reportText(`prefix,last_seen,expires\n${prefix},${iso(now)},${iso(now + days * DAY)}\n`).refused).toEqual([]);
  await node.publish();
  node.project();
}

const piece = (prefix: string) => [...effectiveRows(node.store)].find((r) => r.prefix === prefix);

beforeAll(async () => {
  const dir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
  writeFileSync(join(dir, 'allowlist.txt'), '61.0.1.0/24\n');
  node = await startTestNode(dir, () => now);
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('pieces shared by two listed prefixes', () => {
  it('take the remaining listing’s expiry when the other is delisted, and expire with it', async () => {
    await list('61.0.0.0/24', 5);
    await list('61.0.0.0/16', 60);
    expect(piece('61.0.0.0/24')?.expires).toBe(now + 60 * DAY);
    node.delist(['61.0.0.0/16'], null);
    await node.publish();
    node.project();
    expect(piece('61.0.0.0/24')?.expires).toBe(now + 5 * DAY);
    now += 6 * DAY;
    node.project();
    expect(piece('61.0.0.0/24')).toBeUndefined();
    expect([...effectiveRows(node.store)]).toEqual([]);
  });

  it('carry the values of every listing contributing them, whichever was projected last', async () => {
    await list('61.2.0.0/16', 60);
    writeFileSync(join(node.config.paths.dir, 'allowlist.txt'), '61.0.1.0/24\n61.2.1.0/24\n');
    await node.reload();
    node.project();
    await list('61.2.0.0/24', 5); // exactly one of the pieces carved from 61.2.0.0/16
    expect(piece('61.2.0.0/24')).toMatchObject({ expires: now + 60 * DAY, reports: 2, sources: 'jp-dekyo', sourceCount: 1 });
    await list('61.2.0.0/16', 90); // re-projecting the other origin keeps the combined values
    expect(piece('61.2.0.0/24')).toMatchObject({ expires: now + 90 * DAY, reports: 2 });
  });
});
