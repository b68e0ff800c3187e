import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTestNode } from '../helpers/nodes.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * `spamx origins import|show|lookup` as real child processes: a good set of RIR
 * delegated-extended files is checked and installed as DIR/origins/delegated, and `show` names
 * it; a set with one malformed row exits 1 naming the file and the line, and the set installed
 * before stays in use, whole. Addresses are public unicast space.
 */
const APNIC = [
  '2|apnic|20261205|4|19830613|20261204|+1000',
  'apnic|*|ipv4|*|3|summary',
  'apnic|*|ipv6|*|1|summary',
  'apnic|CN|ipv4|61.4.0.0|1536|20000101|allocated|A92E1062',
  'apnic|HK|ipv4|61.4.8.0|768|20000102|assigned|A92D9378',
  'apnic||ipv4|61.4.32.0|512||available|',
  'apnic|JP|ipv6|2001:200::|35|19990813|allocated|A91A7381',
  '',
].join('\n');
const RIPE = ['2|ripencc|20261204|1|19830705|20261203|+0100', 'ripencc|*|ipv4|*|1|summary', 'ripencc|DE|ipv4|62.4.0.0|1024|19990101|allocated|ORG-X', ''].join('\n');

const tmp = tempDir();
let dir: string;

beforeAll(async () => {
  dir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
});
afterAll(() => tmp.cleanup());

function set(name: string, files: Record<string, string>): string {
  const path = join(tmp.path, name);
  mkdirSync(path);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function datasets(): Promise<{ name: string; date: string; sha256: string }[]> {
  const show = await runCli(['origins', 'show', '--data', dir, '--json']);
  expect(show.code, show.stderr).toBe(0);
  return (JSON.parse(show.stdout) as { datasets: { name: string; date: string; sha256: string }[] }).datasets;
}

describe('spamx origins import', () => {
  it('installs a checked set atomically, shows it, and answers lookups from it', async () => {
    const before = await datasets();
    expect(before.map((d) => d.name)).toEqual(['@ip-location-db/asn-country 2.3.2026061719', '@ip-location-db/asn 2.3.2026061719']);

    const good = set('good', { 'delegated-apnic-extended-latest': APNIC, 'delegated-ripencc-extended-latest': RIPE });
    const r = await runCli(['origins', 'import', '--data', dir, good]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`delegated-apnic-extended-latest: apnic 2026-12-05, 3 ipv4 + 1 ipv6 rows (0 asn rows not routed), sha256 ${sha256(APNIC)}`);
    expect(r.stdout).toContain(`delegated-ripencc-extended-latest: ripencc 2026-12-04, 1 ipv4 + 0 ipv6 rows`);

    const installed = await datasets();
    expect(installed.slice(0, 2)).toEqual([
      { name: 'delegated-apnic-extended-latest', date: '2026-12-05', sha256: sha256(APNIC) },
      { name: 'delegated-ripencc-extended-latest', date: '2026-12-04', sha256: sha256(RIPE) },
    ]);
    expect(installed[2]!.name).toBe('@ip-location-db/asn 2.3.2026061719');
    const text = await runCli(['origins', 'show', '--data', dir]);
    expect(text.stdout).toMatch(/^  delegated-apnic-extended-latest  2026-12-05  sha256 [0-9a-f]{64}$/m);

    const lookup = await runCli(['origins', 'lookup', '--data', dir, '61.4.9.1', '--json']);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(JSON.parse(lookup.stdout)).toMatchObject({ address: '61.4.9.1', country: 'HK', registry: 'apnic' });
    const plain = await runCli(['origins', 'lookup', '--data', dir, '2001:200::1']);
    expect(plain.stdout).toMatch(/^2001:200::1: country JP, AS2500 WIDE Project, registry apnic /);

    // DIR/origins/delegated is a symlink to the set's own directory; nothing else was left.
    const origins = join(dir, 'origins');
    expect(lstatSync(join(origins, 'delegated')).isSymbolicLink()).toBe(true);
    expect(readdirSync(origins).sort()).toEqual(['delegated', readlinkSync(join(origins, 'delegated'))].sort());
    expect(readFileSync(join(origins, 'delegated', 'delegated-apnic-extended-latest'), 'utf8')).toBe(APNIC);
  });

  it('refuses a set with a malformed row, naming file and line, and keeps the set in use', async () => {
    const before = await datasets();
    const origins = join(dir, 'origins');
    const target = readlinkSync(join(origins, 'delegated'));
    const bad = set('bad', {
      'delegated-apnic-extended-latest': APNIC.replace('|HK|', '|MO|'),
      'delegated-ripencc-extended-latest': RIPE.replace('62.4.0.0|1024', '62.4.0.0|1O24'),
    });
    const r = await runCli(['origins', 'import', '--data', dir, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^spamx origins import: ORIGINS_INVALID: .*\/bad\/delegated-ripencc-extended-latest:3: "1O24" is not an address count\n$/);
    expect(await datasets()).toEqual(before);
    expect(readlinkSync(join(origins, 'delegated'))).toBe(target);
    expect(readdirSync(origins).sort()).toEqual(['delegated', target].sort());
    const lookup = await runCli(['origins', 'lookup', '--data', dir, '61.4.9.1', '--json']);
    expect(JSON.parse(lookup.stdout)).toMatchObject({ country: 'HK' });
  });

  it('keeps the previous set beside the new one, and no older one', async () => {
    const origins = join(dir, 'origins');
    const first = readlinkSync(join(origins, 'delegated'));
    for (const cc of ['MO', 'TW']) {
      const r = await runCli(['origins', 'import', '--data', dir, set(`next-${cc}`, { 'delegated-apnic-extended-latest': APNIC.replace('|HK|', `|${cc}|`) })]);
      expect(r.code, r.stderr).toBe(0);
    }
    const current = readlinkSync(join(origins, 'delegated'));
    expect(readdirSync(origins)).toHaveLength(3);
    expect(readdirSync(origins)).not.toContain(first);
    expect(readdirSync(origins)).toContain(current);
    const lookup = await runCli(['origins', 'lookup', '--data', dir, '61.4.9.1', '--json']);
    expect(JSON.parse(lookup.stdout)).toMatchObject({ country: 'TW', registry: 'apnic' });
    const none = await runCli(['origins', 'import', '--data', dir, join(tmp.path, 'no-such-set')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no-such-set: no such file or directory/);
  });
});

describe('a running node', () => {
  it('takes an imported set at once, and keeps it when the files it reads turn malformed', async () => {
    const { startTestNode } = await import('../helpers/nodes.js');
    const { waitFor } = await import('../helpers/wait-for.js');
    const liveDir = await initTestNode(tmp.path, { id: 'hk-ofta' });
    const node = await startTestNode(liveDir);
    try {
      const origin = async () => ((await (await fetch(`${node.url}/v1/lookup/61.4.9.1`)).json()) as { origin: { country: string | null; registry: string | null } }).origin;
      expect((await origin()).registry).toBeNull(); // the default package names no registry
      const r = await runCli(['origins', 'import', '--data', liveDir, set('live', { 'delegated-apnic-extended-latest': APNIC })]);
      expect(r.code, r.stderr).toBe(0);
      await waitFor('the node to answer from the imported set', async () => (await origin()).registry === 'apnic', { timeoutMs: 30_000, intervalMs: 100 });
      expect(await origin()).toMatchObject({ country: 'HK', registry: 'apnic' });
      // A file of the set in use turning malformed (edited by hand) leaves the loaded data in use.
      writeFileSync(join(liveDir, 'origins', 'delegated', 'delegated-apnic-extended-latest'), `${APNIC}apnic|HK|ipv4|61.4.99.0|not-a-count|20000102|assigned|X\n`);
      const token = readFileSync(join(liveDir, 'operator.token'), 'utf8').trim();
      const status = async () =>
        ((await (await fetch(`${node.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { origins: { name: string; sha256: string }[] }).origins;
      const before = await status();
      expect(before[0]).toEqual({ name: 'delegated-apnic-extended-latest', date: '2026-12-05', sha256: sha256(APNIC) });
      // The node's own reload of those files refuses them, and its data stays what it was.
      const reload = node.ctx.origins.reload();
      expect(reload.changed).toBe(false);
      expect(reload.error).toMatch(/ORIGINS_INVALID: .*delegated-apnic-extended-latest:8: "not-a-count" is not an address count/);
      expect(await status()).toEqual(before);
      expect(await origin()).toMatchObject({ country: 'HK', registry: 'apnic' });
    } finally {
      await node.destroy();
    }
  });
});
