import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefix, prefixEnd, type Prefix } from '../../src/core/prefix.js';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { inNetns, netnsToolWorks } from '../helpers/netns.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Every blocklist format fetched over HTTP from a real node and handed to the real client that
 * loads it: iprange (aggregate=true is its cover), postmap (the Postfix cidr table), ipset and
 * nft (loaded into a network namespace of the test's own when the kernel allows one; otherwise
 * their files are checked for structure only, and the skipped tests say so).
 */
const DAY = 86_400_000;
const tmp = tempDir();
let hub: SpamxNode;
let peers: SpamxNode[] = [];
let hubDir: string;

const LISTED = ['61.4.0.1', '61.4.12.6', '61.4.12.8', '61.4.200.5', '61.5.3.4', '116.31.64.1', '116.31.65.200', '202.12.27.33', '202.12.29.9'];
const LISTED6 = ['2400:cb00::1', '2400:cb00:1::5', '2400:cb00:ffff::1', '2400:cb02::1', '2400:cb03:ffff::9'];
const UNLISTED = ['61.3.255.255', '61.6.0.1', '116.31.66.1', '202.12.27.32', '202.12.27.34', '2400:cb01::1'];
const ALLOWLISTED = ['61.4.12.7', '116.31.64.99', '2400:cb00::53'];
/** What the three sources list, as reported (iprange gets this, less the allowlist). */
const REPORTED = {
  'cn-isc': ['61.4.0.0/16', '116.31.64.0/24', '116.31.65.0/24', '202.12.27.33', '2400:cb00::/32', '2400:cb03::/32'],
  'hk-ofta': ['116.31.64.0/24', '61.4.200.0/24', '2400:cb00:1::/48', '2400:cb02::/32'],
};
/** The hub's own reports: one seen ten days ago (for `since`), one now. */
const OWN_OLD = '61.5.0.0/16';
const OWN_NEW = '202.12.28.0/22';

const ipv4Only = (prefixes: readonly string[]) => prefixes.filter((p) => !p.includes(':'));
const lines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const bare = (p: string) => p.replace(/\/32$/, '');

async function get(query: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${hub.url}/v1/blocklist${query}`, { headers });
}
async function body(query: string): Promise<string> {
  const res = await get(query);
  expect(res.status, `GET /v1/blocklist${query}`).toBe(200);
  return res.text();
}

/** A raw response, bytes as sent (fetch would decompress gzip itself). */
function rawGet(query: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}/v1/blocklist${query}`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function file(name: string, text: string): string {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  return path;
}

const parsed = (text: string): Prefix => {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(`${text}: ${p.reason}`);
  return p.prefix;
};
const covers = (prefixes: readonly string[], ip: string) => {
  const address = parsed(ip);
  return prefixes.some((t) => {
    const p = parsed(t);
    return p.family === address.family && p.start <= address.start && address.start <= prefixEnd(p);
  });
};

/** The address ranges a list covers, merged: two lists cover the same space exactly when equal. */
function space(prefixes: readonly string[]): string[] {
  const ranges = prefixes
    .map(parsed)
    .map((p) => [p.family, BigInt(p.start), BigInt(prefixEnd(p))] as const)
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const out: [number, bigint, bigint][] = [];
  for (const [family, lo, hi] of ranges) {
    const last = out.at(-1);
    if (last && last[0] === family && lo <= last[2] + 1n) last[2] = hi > last[2] ? hi : last[2];
    else out.push([family, lo, hi]);
  }
  return out.map(([f, lo, hi]) => `${f}:${lo}-${hi}`);
}

beforeAll(async () => {
  const now = Date.now();
  for (const [id, prefixes] of Object.entries(REPORTED)) {
    const peer = await startTestNode(await initTestNode(tmp.path, { id, config: PUBLIC_FEEDS }));
    peers.push(peer);
    expect(peer.reportText(prefixes.join('\n')).refused).toEqual([]);
    await peer.publish();
  }
  hubDir = await initTestNode(tmp.path, { id: 'jp-dekyo' });
  hub = await startTestNode(hubDir);
  const iso = (ms: number) => new Date(ms).toISOString();
  const own = `prefix,first_seen,last_seen\n${OWN_OLD},${iso(now - 12 * DAY)},${iso(now - 10 * DAY)}\n${OWN_NEW},${iso(now - DAY)},${iso(now)}\n`;
  expect(hub.reportText(own).refused).toEqual([]);
  await hub.publish();
  for (const peer of peers) await pinTestPeer(hub, peer);
  for (const report of await hub.pullAll()) expect(report.error).toBeUndefined();
  // Allowlisted addresses inside listed ranges: the list is carved around them.
  writeFileSync(join(hubDir, 'allowlist.txt'), `${ALLOWLISTED.join('\n')}\n`);
  await hub.reload();
  hub.project();
});

afterAll(async () => {
  await Promise.all([hub, ...peers].map((n) => n?.destroy()));
  tmp.cleanup();
});

describe('txt and aggregate=true against iprange', () => {
  it('lists exactly the reported space less the allowlist', async () => {
    const txt = lines(await body(''));
    for (const ip of [...LISTED, ...LISTED6]) expect(covers(txt, ip), ip).toBe(true);
    for (const ip of [...UNLISTED, ...ALLOWLISTED]) expect(covers(txt, ip), ip).toBe(false);
    // Pieces overlap (a /24 listed inside a carved piece of a /16): what makes nft need the cover.
    expect(txt).toContain('61.4.200.0/24');
    expect(covers(txt.filter((p) => p !== '61.4.200.0/24'), '61.4.200.5')).toBe(true);
  });

  it('aggregate=true is what iprange makes of the plain list, and of the reports less the allowlist', async () => {
    const ours = lines(await body('?family=4&aggregate=true'));
    const txt = await body('?family=4');
    const fromList = lines(execFileSync('iprange', [file('list4.txt', txt)], { encoding: 'utf8' }));
    // iprange prints a /32 as the bare address; that is the only difference in style.
    expect(ours.map(bare)).toEqual(fromList);
    const reported = [...ipv4Only(Object.values(REPORTED).flat()), OWN_OLD, OWN_NEW].join('\n');
    const allow = ipv4Only(ALLOWLISTED).join('\n');
    const fromReports = execFileSync('iprange', [file('reported4.txt', reported), '--except', file('allow4.txt', allow)], { encoding: 'utf8' });
    expect(ours.map(bare)).toEqual(lines(fromReports));
    expect(ours.length).toBeLessThan(lines(txt).length);
  });

  it('aggregates IPv6 into a cover of the same space, with no overlaps', async () => {
    const ours = lines(await body('?family=6&aggregate=true'));
    const txt = lines(await body('?family=6'));
    expect(ours.every((p) => p.includes(':'))).toBe(true);
    expect(space(ours)).toEqual(space(txt));
    for (let i = 1; i < ours.length; i++) expect(BigInt(parsed(ours[i]!).start) > BigInt(prefixEnd(parsed(ours[i - 1]!)))).toBe(true);
    expect(ours).toContain('2400:cb02::/31');
    expect(ours.length).toBeLessThan(txt.length);
  });

  it('spamx export prints what the HTTP endpoint serves', async () => {
    for (const args of [[], ['--aggregate'], ['--format', 'csv', '--family', '6']]) {
      const cli = await runCli(['export', '--data', hubDir, ...args]);
      expect(cli.code, cli.stderr).toBe(0);
      const query = args.length === 0 ? '' : args[0] === '--aggregate' ? '?aggregate=true' : '?format=csv&family=6';
      expect(cli.stdout).toBe(await body(query));
    }
  });
});

describe('postfix cidr table', () => {
  it('postmap answers REJECT with the sources and lookup URL for listed addresses, nothing otherwise', async () => {
    for (const query of ['?format=postfix', '?format=postfix&aggregate=true']) {
      const table = file('spamx.cidr', await body(query));
      const keys = [...LISTED, ...LISTED6, ...UNLISTED, ...ALLOWLISTED];
      // `postmap -q -` looks up every key read from stdin and prints `key<TAB>value` for hits.
      const out = execFileSync('postmap', ['-q', '-', `cidr:${table}`], { input: `${keys.join('\n')}\n`, encoding: 'utf8' });
      const answers = new Map(lines(out).map((l) => l.split('\t') as [string, string]));
      for (const ip of [...LISTED, ...LISTED6]) {
        expect(answers.get(ip), `${query} ${ip}`).toMatch(/^REJECT listed by spamx at jp-dekyo from [a-z, -]+; see http:\/\/127\.0\.0\.1:\d+\/lookup\//);
      }
      for (const ip of [...UNLISTED, ...ALLOWLISTED]) expect(answers.has(ip), `${query} ${ip}`).toBe(false);
      expect(spawnSync('postmap', ['-q', '116.31.66.1', `cidr:${table}`]).status).toBe(1);
    }
    const table = file('spamx.cidr', await body('?format=postfix'));
    expect(execFileSync('postmap', ['-q', '116.31.64.1', `cidr:${table}`], { encoding: 'utf8' })).toMatch(/from cn-isc, hk-ofta; see .*\/lookup\/116\.31\.64\.0\n$/);
    // The URL it names is the public lookup page, which answers for the address with no key.
    const url = /see (\S+)/.exec(execFileSync('postmap', ['-q', '202.12.27.33', `cidr:${table}`], { encoding: 'utf8' }))![1]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<code>202.12.27.33</code> is listed by');
  });
});

describe('csv, json, ndjson', () => {
  it('parse and hold the txt list with each piece’s sources', async () => {
    const txt = lines(await body(''));
    const csv = lines(await body('?format=csv'));
    expect(csv[0]).toBe('prefix,first_seen,last_seen,reports,sources,expires,country,asn');
    const csvRows = csv.slice(1).map((l) => l.split(','));
    // A piece spanning several origins is written as its parts, one per origin: the same space.
    expect(space(csvRows.map((r) => r[0]!))).toEqual(space(txt));
    expect(csvRows.length).toBeGreaterThan(txt.length);
    for (const r of csvRows) {
      expect(r).toHaveLength(8);
      expect(r[6]).toMatch(/^([A-Z]{2})?$/);
      expect(r[7]).toMatch(/^(\d+)?$/);
      expect(Date.parse(r[1]!)).toBeLessThanOrEqual(Date.parse(r[2]!));
      expect(Number(r[3])).toBeGreaterThan(0);
      expect(Date.parse(r[5]!)).toBeGreaterThan(Date.now());
    }
    const json = JSON.parse(await body('?format=json')) as { node: string; count: number; sources: string[]; prefixes: { prefix: string; sources: string[] }[] };
    expect(json.node).toBe('jp-dekyo');
    expect(json.count).toBe(csvRows.length);
    expect(json.sources).toEqual(['cn-isc', 'hk-ofta', 'jp-dekyo']);
    expect(json.prefixes.map((p) => p.prefix)).toEqual(csvRows.map((r) => r[0]));
    const ndjson = lines(await body('?format=ndjson')).map((l) => JSON.parse(l) as { prefix: string; sources: string[] });
    expect(ndjson).toEqual(json.prefixes);
    // A piece carved from a prefix both sources list carries both.
    expect(ndjson.find((r) => r.prefix === '116.31.64.128/25')?.sources).toEqual(['cn-isc', 'hk-ofta']);
    expect(csvRows.find((r) => r[0] === '116.31.64.128/25')?.[4]).toBe('cn-isc hk-ofta');
    expect(ndjson.find((r) => r.prefix === '202.12.27.33/32')?.sources).toEqual(['cn-isc']);
  });
});

describe('filters', () => {
  it('family, min_sources, source and since select the same pieces in every format', async () => {
    const all = (await body('?format=csv')).split('\n').slice(1).filter(Boolean).map((l) => l.split(','));
    const expectPrefixes = async (query: string, keep: (row: string[]) => boolean) => {
      const want = all.filter(keep).map((r) => r[0]!);
      expect(want.length, query).toBeGreaterThan(0);
      // csv rows are the pieces cut by origin; txt and postfix write each listed piece whole.
      expect(space(lines(await body(`?${query}`))), query).toEqual(space(want));
      const csv = (await body(`?format=csv&${query}`)).split('\n').slice(1).filter(Boolean);
      expect(csv.map((l) => l.split(',')[0]), query).toEqual(want);
      const postfix = lines(await body(`?format=postfix&${query}`)).map((l) => l.split(' ')[0]!);
      expect(space(postfix), query).toEqual(space(want));
    };
    await expectPrefixes('family=4', (r) => !r[0]!.includes(':'));
    await expectPrefixes('family=6', (r) => r[0]!.includes(':'));
    await expectPrefixes('min_sources=2', (r) => r[4]!.split(' ').length >= 2);
    await expectPrefixes('source=hk-ofta', (r) => r[4]!.split(' ').includes('hk-ofta'));
    await expectPrefixes('source=hk-ofta&source=jp-dekyo', (r) => /\b(hk-ofta|jp-dekyo)\b/.test(r[4]!));
    await expectPrefixes('source=hk-ofta,jp-dekyo&family=4', (r) => /\b(hk-ofta|jp-dekyo)\b/.test(r[4]!) && !r[0]!.includes(':'));
    const since = new Date(Date.now() - 5 * DAY).toISOString();
    await expectPrefixes(`since=${since}`, (r) => Date.parse(r[2]!) >= Date.parse(since));
    expect(lines(await body(`?since=${since}`))).not.toContain(OWN_OLD);
    await expectPrefixes(`since=${Math.floor((Date.now() - 5 * DAY) / 1000)}&min_sources=1`, (r) => Date.parse(r[2]!) >= Date.now() - 5 * DAY - 60_000);
    expect(lines(await body('?source=nobody'))).toEqual([]);
    expect(lines(await body('?min_sources=3'))).toEqual([]);
    // The aggregated cover of a filtered list covers exactly that list.
    expect(space(lines(await body('?source=cn-isc&aggregate=true')))).toEqual(space(lines(await body('?source=cn-isc'))));
  });

  it('refuses bad parameters with 400 naming them', async () => {
    for (const [query, word] of [
      ['?format=pf', 'format'],
      ['?family=5', 'family'],
      ['?min_sources=0', 'min_sources'],
      ['?since=yesterday', 'since'],
      ['?aggregate=yes', 'aggregate'],
      [`?${Array.from({ length: 101 }, (_, i) => `source=s${i}`).join('&')}`, 'source'],
    ] as const) {
      const res = await get(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(word);
    }
  });
});

describe('ETag, 304 and gzip', () => {
  it('answers 304 to a matching If-None-Match until the list changes', async () => {
    const first = await get('?format=ipset');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"bl-/);
    await first.text();
    const again = await get('?format=ipset', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await get('?format=ipset', { 'if-none-match': `"other", ${etag}` })).status).toBe(304);
    const other = await get('?format=nftables');
    expect(other.headers.get('etag')).not.toBe(etag);
    await other.text();

    expect(peers[0]!.reportText('61.8.0.0/16').refused).toEqual([]);
    await peers[0]!.publish();
    await hub.pull('cn-isc');
    hub.project();
    const changed = await get('?format=ipset', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).toContain('add spamx4-next 61.8.0.0/16\n');
  });

  it('gzips on request, with its own ETag, to the same bytes', async () => {
    for (const query of ['', '?format=json', '?format=nftables']) {
      const plain = await rawGet(query, {});
      const zipped = await rawGet(query, { 'accept-encoding': 'gzip, deflate' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      expect(zipped.headers.etag).not.toBe(plain.headers.etag);
      expect(gunzipSync(zipped.bytes).toString('utf8')).toBe(plain.bytes.toString('utf8'));
      expect(zipped.bytes.length).toBeLessThan(plain.bytes.length);
      const revalidated = await rawGet(query, { 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) });
      expect(revalidated.status).toBe(304);
    }
  });
});

/** `ipset restore` input parsed back: every set's create parameters and the prefixes added. */
function parseIpset(text: string): Map<string, { params: string; adds: string[] }> {
  const sets = new Map<string, { params: string; adds: string[] }>();
  const order: string[] = [];
  for (const line of lines(text)) {
    const [verb, name, ...rest] = line.split(' ');
    expect(name, line).toMatch(/^spamx[46](-next)?$/);
    order.push(`${verb} ${name}`);
    if (verb === 'create') {
      expect(rest.at(-1), line).toBe('-exist');
      expect(rest.join(' '), line).toMatch(/^hash:net family inet6? hashsize \d+ maxelem \d+ -exist$/);
      sets.set(name!, { params: rest.join(' '), adds: [] });
    } else if (verb === 'add') {
      expect(rest, line).toHaveLength(1);
      sets.get(name!)!.adds.push(rest[0]!);
    } else {
      expect(['flush', 'swap', 'destroy'], line).toContain(verb);
    }
  }
  // Filled under -next and swapped in, per family, in this order.
  const steps = (n: string) => [`create ${n}`, `create ${n}-next`, `flush ${n}-next`, `swap ${n}-next`, `destroy ${n}-next`];
  expect(order.filter((s) => !s.startsWith('add'))).toEqual([...steps('spamx4'), ...steps('spamx6')]);
  expect(sets.get('spamx4')!.params).toBe(sets.get('spamx4-next')!.params);
  expect(sets.get('spamx4')!.params).toContain('family inet ');
  expect(sets.get('spamx6')!.params).toContain('family inet6 ');
  return sets;
}

/** The nft file's sets and their elements, from the second (filling) declaration of the table. */
function parseNft(text: string): Map<string, string[]> {
  const body = lines(text).join('\n');
  expect(body.split('{').length).toBe(body.split('}').length);
  const [declare, flush, fill] = body.split(/\n(?=table|flush set inet spamx spamx4)/);
  expect(declare).toMatch(/^table inet spamx \{\n\tset spamx4 \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\}\n\tset spamx6 \{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\}\n\}$/);
  expect(flush).toBe('flush set inet spamx spamx4\nflush set inet spamx spamx6');
  const sets = new Map<string, string[]>();
  for (const m of fill!.matchAll(/set (spamx[46]) \{\n\t\ttype ipv[46]_addr\n\t\tflags interval\n(?:\t\telements = \{\n([^}]*)\n\t\t\}\n)?\t\}/g)) {
    sets.set(m[1]!, m[2] === undefined ? [] : m[2].split(',\n').map((e) => e.trim()));
  }
  expect([...sets.keys()]).toEqual(['spamx4', 'spamx6']);
  return sets;
}

describe('ipset', () => {
  it('is restore input adding the listed prefixes to spamx4 and spamx6', async () => {
    const sets = parseIpset(await body('?format=ipset'));
    const txt = lines(await body(''));
    expect(sets.get('spamx4-next')!.adds).toEqual(txt.filter((p) => !p.includes(':')));
    expect(sets.get('spamx6-next')!.adds).toEqual(txt.filter((p) => p.includes(':')));
    const only6 = lines(await body('?format=ipset&family=6'));
    expect(only6.every((l) => l.includes('spamx6'))).toBe(true);
    const aggregated = parseIpset(await body('?format=ipset&aggregate=true'));
    expect(aggregated.get('spamx4-next')!.adds).toEqual(lines(await body('?family=4&aggregate=true')));
  });

  it.skipIf(!netnsToolWorks('ipset list'))('loads with the real ipset, reloads, and matches listed addresses only', async () => {
    const full = file('spamx.ipset', await body('?format=ipset'));
    const fewer = file('spamx-min2.ipset', await body('?format=ipset&min_sources=2'));
    const probe = (set: string, ip: string) => `ipset test ${set} ${ip} 2>/dev/null && echo "${ip} yes" || echo "${ip} no"`;
    const v4 = [...LISTED, ...UNLISTED, ...ALLOWLISTED].filter((ip) => !ip.includes(':'));
    const v6 = [...LISTED6, ...UNLISTED, ...ALLOWLISTED].filter((ip) => ip.includes(':'));
    const script = [
      `ipset restore < ${full}`,
      `ipset restore < ${full}`, // loading again must work
      ...v4.map((ip) => probe('spamx4', ip)),
      ...v6.map((ip) => probe('spamx6', ip)),
      'echo reload',
      `ipset restore < ${fewer}`,
      probe('spamx4', '116.31.64.1'),
      probe('spamx4', '61.4.0.1'),
      'ipset list -n',
    ].join('\n');
    const r = inNetns(`set -e\n${script}`);
    expect(r.code, r.stderr).toBe(0);
    const [loaded, reloaded] = r.stdout.split('reload\n') as [string, string];
    for (const ip of [...LISTED, ...LISTED6]) expect(loaded, ip).toContain(`${ip} yes`);
    for (const ip of [...UNLISTED, ...ALLOWLISTED]) expect(loaded, ip).toContain(`${ip} no`);
    // After the reload only min_sources=2 pieces are left: the swap dropped the rest.
    expect(reloaded).toContain('116.31.64.1 yes');
    expect(reloaded).toContain('61.4.0.1 no');
    expect(lines(reloaded.split('61.4.0.1 no\n')[1]!).sort()).toEqual(['spamx4', 'spamx6']);
  });
});

describe('nftables', () => {
  it('declares interval sets holding the aggregated cover, whatever aggregate says', async () => {
    const text = await body('?format=nftables');
    expect(await body('?format=nftables&aggregate=true')).toBe(text);
    const sets = parseNft(text);
    expect(sets.get('spamx4')).toEqual(lines(await body('?family=4&aggregate=true')));
    expect(sets.get('spamx6')).toEqual(lines(await body('?family=6&aggregate=true')));
    const only4 = lines(await body('?format=nftables&family=4')).join('\n');
    expect(only4).not.toContain('spamx6');
    // A set with nothing in it is declared without an elements clause (`{ }` does not parse).
    const empty = lines(await body('?format=nftables&source=nobody')).join('\n');
    expect(empty).not.toContain('elements');
    expect(empty).toContain('set spamx6 {');
  });

  it.skipIf(!netnsToolWorks('nft list ruleset'))('passes nft -c, loads twice, and matches listed addresses only', async () => {
    const full = file('spamx.nft', await body('?format=nftables'));
    const empty = file('empty.nft', await body('?format=nftables&source=nobody'));
    const probe = (set: string, ip: string) => `nft get element inet spamx ${set} '{ ${ip} }' >/dev/null 2>&1 && echo "${ip} yes" || echo "${ip} no"`;
    const script = [
      `nft -c -f ${full}`,
      `nft -c -f ${empty}`,
      `nft -f ${full}`,
      `nft -f ${full}`,
      ...[...LISTED, ...UNLISTED, ...ALLOWLISTED, ...LISTED6].map((ip) => probe(ip.includes(':') ? 'spamx6' : 'spamx4', ip)),
      'echo emptied',
      `nft -f ${empty}`,
      probe('spamx4', '61.4.0.1'),
      probe('spamx6', '2400:cb00::1'),
    ].join('\n');
    const r = inNetns(`set -e\n${script}`);
    expect(r.code, r.stderr).toBe(0);
    const [loaded, emptied] = r.stdout.split('emptied\n') as [string, string];
    for (const ip of [...LISTED, ...LISTED6]) expect(loaded, ip).toContain(`${ip} yes`);
    for (const ip of [...UNLISTED, ...ALLOWLISTED]) expect(loaded, ip).toContain(`${ip} no`);
    expect(emptied).toBe('61.4.0.1 no\n2400:cb00::1 no\n');
  });

  it('would be refused by nft without the cover: the plain list overlaps', async () => {
    const txt = lines(await body('?family=4'));
    const overlapping = txt.filter((p) => txt.some((q) => q !== p && covers([q], p.split('/')[0]!)));
    expect(overlapping.length).toBeGreaterThan(0);
  });
});
