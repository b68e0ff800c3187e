import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Upgrading a node made before "Partners only" (issue 16): its store as it was before migrations
 * 0012 and 0013 (labels, sealed batches, partner access, zone secondaries) and its config.json
 * without `federation`. Started by this version, it migrates, keeps its batches, and keeps
 * serving v1 readers — unsigned pulls and `spamx audit` without `--data` — every batch it has
 * (labelled green: v1 batches carry no `tlp`), until the operator moves it to `partners`.
 */
const tmp = tempDir('spamx-upgrade-');
let dir: string;
let node: SpamxNode | undefined;
const NEW_TABLES = ['partner_access', 'sealed_inner', 'zone_secondaries'];
const NEW_COLUMNS: [string, string][] = [
  ['batches', 'tlp'],
  ['batches', 'recipients'],
  ['listings', 'tlp'],
  ['effective', 'tlp'],
  ['changes', 'tlp'],
  ['report_queue', 'tlp'],
  ['report_queue', 'recipients'],
];

/** The store as the version before migration 0012 left it: new tables and columns gone, their migrations unrecorded. */
function downgradeStore(path: string): void {
  const db = new Database(path);
  try {
    db.transaction(() => {
      for (const t of NEW_TABLES) db.exec(`DROP TABLE ${t}`);
      db.exec('DROP INDEX effective_restricted');
      for (const [t, c] of NEW_COLUMNS) db.exec(`ALTER TABLE ${t} DROP COLUMN ${c}`);
      // drizzle's `id SERIAL` is no rowid alias in SQLite (it stays null): rows are named by rowid.
      const applied = db.prepare('SELECT rowid FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 2').pluck().all() as number[];
      db.prepare(`DELETE FROM __drizzle_migrations WHERE rowid IN (${applied.map(() => '?').join(',')})`).run(...applied);
    })();
    const columns = (t: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((r) => r.name);
    if (columns('batches').includes('tlp')) throw new Error('downgrade left batches.tlp');
  } finally {
    db.close();
  }
}

function writeConfig(change: (config: Record<string, unknown>) => void): void {
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}

beforeAll(async () => {
  dir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
  // A config.json written before federation.access existed.
  writeConfig((c) => delete c.federation);
  node = await startTestNode(dir);
  node.reportText('61.4.1.7\n61.5.2.0/24\n');
  await node.publish();
  node.reportText('36.1.2.3\n');
  await node.publish();
  await node.destroy();
  node = undefined;
  downgradeStore(loadConfig(dir).paths.database);
  node = await startTestNode(dir);
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('a node upgraded from before "Partners only"', () => {
  it('migrates its store and keeps its feed', async () => {
    expect(node!.config.federation.access).toBe('public');
    expect(node!.status().feed.size).toBe(2);
    const db = new Database(loadConfig(dir).paths.database, { readonly: true });
    try {
      expect((db.prepare('SELECT tlp, recipients FROM batches ORDER BY seq').all() as unknown[])).toEqual([
        { tlp: 1, recipients: null },
        { tlp: 1, recipients: null },
      ]);
    } finally {
      db.close();
    }
  });

  it('serves v1 readers: unsigned batch pages, the blocklist, and spamx audit without --data', async () => {
    const page = (await (await fetch(`${node!.url}/v1/feeds/jp-dekyo/batches?after=0`)).json()) as { batches: { seq: number }[] };
    expect(page.batches.map((b) => b.seq)).toEqual([1, 2]);
    expect((await fetch(`${node!.url}/v1/feeds/jp-dekyo/batches/2`)).status).toBe(200);
    const list = await (await fetch(`${node!.url}/v1/blocklist`)).text();
    expect(list).toContain('61.5.2.0/24');
    expect(list).toContain('36.1.2.3');
    const audit = await runCli(['audit', node!.url, 'jp-dekyo', '--key', join(dir, 'keys', 'ed25519.public.jwk')]);
    expect(audit.code, audit.stderr).toBe(0);
  });

  it('moves to partners by config: then unsigned readers are refused', async () => {
    await node!.destroy();
    node = undefined;
    writeConfig((c) => (c.federation = { access: 'partners' }));
    node = await startTestNode(dir);
    const res = await fetch(`${node.url}/v1/feeds/jp-dekyo/batches?after=0`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SIGNATURE_MISSING');
  });
});
