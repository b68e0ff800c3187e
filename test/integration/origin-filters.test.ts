import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { addressesIn, countryOf, inCountries, mergeRanges, prefixRanges, straddlingBlock, v4, v4Range } from '../helpers/origin-rows.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * PROTOCOL "Additions: origins": the `country`, `asn` and `within` filters on every subscriber
 * surface, and scoped subscriber keys, against a real node over HTTP. Every expected answer is
 * computed by the test from the origin data's CSV rows by a plain scan (test/helpers/origin-rows.ts),
 * never by the range tables under test. A listed /16 straddling two countries must be cut at the
 * registry boundary, not judged by its first address.
 */
const DAY = 86_400_000;
const tmp = tempDir();
// The node's clock starts at the real time: CLI commands the test runs beside it (export, lookup)
// project the same store by the real clock, which must not expire what the node's clock keeps.
let now = Date.now();
const MONTH = new Date(now).toISOString().slice(0, 7);
let node: SpamxNode;
let dir: string;
const keys = new Map<string, string>();

const CN = addressesIn('CN', 6);
const JP = addressesIn('JP', 4);
const HK = addressesIn('HK', 3);
const KR = addressesIn('KR', 3);
const STRADDLE = straddlingBlock('CN', 'KR', 16);
/** Listed for one day only: it expires between two polls. */
const SHORT = addressesIn('CN', 8)[7]!;
/** Delisted between two polls. */
const DELISTED = JP[3]!;
const LISTED = [...CN, ...JP, ...HK, ...KR, STRADDLE].map((p) => (p.includes('/') ? p : `${p}/32`));

async function get(path: string, key = keys.get('all')!): Promise<Response> {
  return fetch(`${node.url}${path}`, { headers: { 'x-api-key': key } });
}

/** The prefixes of a blocklist body in any format (comments and headers skipped). */
function prefixesOf(format: string, body: string): string[] {
  if (format === 'json') return (JSON.parse(body) as { prefixes: { prefix: string }[] }).prefixes.map((p) => p.prefix);
  if (format === 'ndjson') return body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { prefix: string }).prefix);
  const lines = body.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith(':') && !l.startsWith('$'));
  if (format === 'csv') return lines.slice(1).map((l) => l.split(',')[0]!);
  if (format === 'abuse-csv') return lines.slice(1).map((l) => l.split(',')[1]!);
  // Every other format names addresses and prefixes in its own syntax: take each IPv4 prefix
  // (rbldnsd's 127.0.0.2 test entry and its A value are none of the list's).
  return [...body.replace(/^#.*$/gm, '').matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(\/\d{1,2})?(?![\d.])/g)]
    .map((m) => `${m[1]}${m[2] ?? '/32'}`)
    .filter((p) => !p.startsWith('127.'));
}

function expectedIn(countries: string[], listed = LISTED): [number, number][] {
  const set = new Set(countries);
  return mergeRanges(listed.flatMap((p) => inCountries(...v4Range(p), set)));
}

beforeAll(async () => {
  dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { ...PUBLIC_FEEDS, subscribers: { public: false, rateLimitPerMinute: 10_000 } } });
  node = await startTestNode(dir, () => now);
  for (const [name, scope] of [
    ['all', []],
    ['hk-isp', ['--scope', 'country:HK']],
    ['cn-kr', ['--scope', 'country:CN', '--scope', `${KR[0]}/32`]],
  ] as const) {
    const added = await runCli(['subscriber', 'add', name, '--data', dir, ...scope]);
    expect(added.code, added.stderr).toBe(0);
    keys.set(name, added.stdout.trimEnd().split('\n').at(-1)!);
  }
  node.reportText(`${LISTED.join('\n')}\n`);
  node.reportObjects([{ prefix: SHORT, expires: new Date(now + DAY).toISOString() }]);
  await node.publish();
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('origin filters', () => {
  it('the test data really spans the countries it means to', () => {
    expect(CN.map((a) => countryOf(v4(a)))).toEqual(CN.map(() => 'CN'));
    const [lo, hi] = v4Range(STRADDLE);
    expect(inCountries(lo, hi, new Set(['CN'])).length).toBeGreaterThan(0);
    expect(inCountries(lo, hi, new Set(['KR'])).length).toBeGreaterThan(0);
  });

  it('country= gives the listed space inside the country on every format, the straddling /16 cut at the boundary', async () => {
    const expected = expectedIn(['CN'], [...LISTED, `${SHORT}/32`]);
    for (const format of ['txt', 'csv', 'json', 'ndjson', 'rbldnsd', 'ipset', 'nftables', 'postfix', 'abuse-csv']) {
      const res = await get(`/v1/blocklist?format=${format}&country=CN&family=4`);
      expect(res.status, format).toBe(200);
      expect(prefixRanges(prefixesOf(format, await res.text())), format).toEqual(expected);
    }
  });

  it('filters compose as a union within a request: country=HK&country=KR, and within=', async () => {
    const res = await get(`/v1/blocklist?country=HK,KR`);
    expect(prefixRanges(prefixesOf('txt', await res.text()))).toEqual(expectedIn(['HK', 'KR']));
    const within = await get(`/v1/blocklist?within=${STRADDLE}&country=JP`);
    const [lo, hi] = v4Range(STRADDLE);
    expect(prefixRanges(prefixesOf('txt', await within.text()))).toEqual(mergeRanges([[lo, hi], ...expectedIn(['JP'])]));
  });

  it('csv and abuse-csv rows carry the country of each piece, one row per origin', async () => {
    const csv = (await (await get('/v1/blocklist?format=csv')).text()).trim().split('\n');
    expect(csv[0]).toBe('prefix,first_seen,last_seen,reports,sources,expires,country,asn');
    for (const line of csv.slice(1)) {
      const cells = line.split(',');
      const [lo] = v4Range(cells[0]!);
      expect(cells[6], line).toBe(countryOf(lo) ?? '');
    }
    const straddleRows = csv.slice(1).filter((l) => {
      const [lo, hi] = v4Range(l.split(',')[0]!);
      const [slo, shi] = v4Range(STRADDLE);
      return lo >= slo && hi <= shi;
    });
    expect(new Set(straddleRows.map((l) => l.split(',')[6]))).toEqual(new Set(['CN', 'KR']));
    const abuse = (await (await get('/v1/blocklist?format=abuse-csv&country=HK')).text()).trim().split('\n');
    expect(abuse[0]).toBe('timestamp,prefix,asn,country,sources,first_seen,last_seen,reports,category,batch_url');
    expect(abuse.slice(1).map((l) => l.split(',')[1]).sort()).toEqual(HK.map((a) => `${a}/32`).sort());
    for (const line of abuse.slice(1)) {
      const cells = line.split(',');
      expect(cells[3]).toBe('HK');
      expect(cells[4]).toBe('jp-dekyo');
      expect(cells[8]).toBe('spam-origin');
      expect(cells[9]).toMatch(new RegExp(`^${node.url}/v1/feeds/jp-dekyo/batches/1$`));
      expect((await fetch(cells[9]!)).status).toBe(200);
    }
  });

  it('`spamx export --country --within` writes what GET /v1/blocklist does', async () => {
    const cli = await runCli(['export', '--data', dir, '--country', 'HK', '--within', STRADDLE, '--format', 'abuse-csv']);
    expect(cli.code, cli.stderr).toBe(0);
    const http = await (await get(`/v1/blocklist?format=abuse-csv&country=HK&within=${STRADDLE}`)).text();
    expect(prefixesOf('abuse-csv', cli.stdout)).toEqual(prefixesOf('abuse-csv', http));
    const [lo, hi] = v4Range(STRADDLE);
    expect(prefixRanges(prefixesOf('abuse-csv', cli.stdout))).toEqual(mergeRanges([[lo, hi], ...expectedIn(['HK'])]));
    const bad = await runCli(['export', '--data', dir, '--country', 'Hong Kong']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('country=Hong Kong');
  });

  it('a bad filter value is a 400 naming it', async () => {
    for (const [query, text] of [
      ['country=China', 'country=China'],
      ['asn=AS-x', 'asn=AS-x'],
      ['within=61.4.0.1/16', 'within=61.4.0.1/16'],
    ]) {
      const res = await get(`/v1/blocklist?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(text);
    }
  });

  it('a change stream filtered by country sees each listing enter and leave its scope exactly once', async () => {
    const client = new Set<string>();
    const apply = (page: { added: string[]; removed: string[] }) => {
      for (const p of page.removed) expect(client.delete(p), `removed ${p} it never had`).toBe(true);
      for (const p of page.added) {
        expect(client.has(p), `added ${p} twice`).toBe(false);
        client.add(p);
      }
    };
    const first = (await (await get('/v1/blocklist/changes?country=CN,JP')).json()) as { cursor: string; added: string[]; removed: string[] };
    apply(first);
    expect(prefixRanges(client)).toEqual(expectedIn(['CN', 'JP'], [...LISTED, `${SHORT}/32`]));
    // Between polls: one CN listing expires, one JP listing is delisted, a KR one is added.
    now += 2 * DAY;
    node.delist([DELISTED], 'test');
    node.reportText(`${KR[1]!.replace(/\.\d+$/, '.99')}\n`);
    await node.publish();
    const second = (await (await get(`/v1/blocklist/changes?country=CN,JP&cursor=${first.cursor}`)).json()) as typeof first;
    apply(second);
    expect(second.removed.sort()).toEqual([`${DELISTED}/32`, `${SHORT}/32`].sort());
    expect(second.added).toEqual([]);
    const listedNow = LISTED.filter((p) => p !== `${DELISTED}/32`);
    expect(prefixRanges(client)).toEqual(expectedIn(['CN', 'JP'], listedNow));
    // The same cursor without the filter is refused: it would skip or repeat what the filter hid.
    const unfiltered = await get(`/v1/blocklist/changes?cursor=${second.cursor}`);
    expect(unfiltered.status).toBe(410);
  });
});

describe('statistics and lookups', () => {
  const operator = () => ({ authorization: `Bearer ${readFileSync(join(dir, 'operator.token'), 'utf8').trim()}` });
  type Stats = { by: string; dataset: { id: string }; rows: { key: string; pieces: number; addresses: number; reports: number }[] };

  it('GET /v1/stats?by=country counts pieces and addresses per country, a straddling piece in each country for its part', async () => {
    const res = await fetch(`${node.url}/v1/stats?by=country`, { headers: operator() });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as Stats;
    expect(stats.by).toBe('country');
    expect(stats.dataset.id).toMatch(/^[0-9a-f]{16}$/);
    const live = [...LISTED.filter((p) => p !== `${DELISTED}/32`), `${KR[1]!.replace(/\.\d+$/, '.99')}/32`];
    const expected = new Map<string, { pieces: number; addresses: number }>();
    for (const prefix of live) {
      const [lo, hi] = v4Range(prefix);
      for (const cc of new Set(['CN', 'JP', 'HK', 'KR'])) {
        const parts = inCountries(lo, hi, new Set([cc]));
        if (parts.length === 0) continue;
        const e = expected.get(cc) ?? { pieces: 0, addresses: 0 };
        e.pieces++;
        e.addresses += parts.reduce((n, [a, b]) => n + b - a + 1, 0);
        expected.set(cc, e);
      }
    }
    for (const [cc, e] of expected) expect(stats.rows.find((r) => r.key === cc), cc).toMatchObject(e);
    const filtered = (await (await fetch(`${node.url}/v1/stats?by=source&country=HK`, { headers: operator() })).json()) as Stats;
    expect(filtered.rows).toEqual([{ key: 'jp-dekyo', pieces: HK.length, addresses: HK.length, reports: HK.length }]);
    const months = (await (await fetch(`${node.url}/v1/stats?by=month`, { headers: operator() })).json()) as Stats;
    expect(months.rows.map((r) => r.key)).toEqual([MONTH]);
    expect((await fetch(`${node.url}/v1/stats?by=planet`, { headers: operator() })).status).toBe(400);
    expect((await get('/v1/stats')).status).toBe(401); // a subscriber key is no operator token
  });

  it('`spamx lookup` and GET /v1/lookup name where the address is registered', async () => {
    const cli = await runCli(['lookup', CN[1]!, '--data', dir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/registered in CN, AS\d+/);
    const json = (await (await get(`/v1/lookup/${KR[2]}`)).json()) as { origin: { country: string; asn: number | null; asName: string | null } };
    expect(json.origin.country).toBe('KR');
    const status = (await (await fetch(`${node.url}/v1/status`, { headers: operator() })).json()) as { origins: { name: string; sha256: string }[] };
    expect(status.origins.map((o) => o.name).join(' ')).toMatch(/asn-country/);
    for (const o of status.origins) expect(o.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('scoped subscriber keys', () => {
  it('see only their scope on the blocklist, in every format, whatever filter they add', async () => {
    const hk = keys.get('hk-isp')!;
    for (const format of ['txt', 'csv', 'json', 'abuse-csv']) {
      const body = await (await get(`/v1/blocklist?format=${format}`, hk)).text();
      expect(prefixRanges(prefixesOf(format, body)), format).toEqual(expectedIn(['HK']));
    }
    // Asking for more than the scope gives the scope's part of it.
    const cn = await (await get('/v1/blocklist?country=CN', hk)).text();
    expect(prefixesOf('txt', cn)).toEqual([]);
    const both = keys.get('cn-kr')!;
    const text = await (await get('/v1/blocklist', both)).text();
    const live = LISTED.filter((p) => p !== `${DELISTED}/32`);
    expect(prefixRanges(prefixesOf('txt', text))).toEqual(mergeRanges([...expectedIn(['CN'], live), v4Range(`${KR[0]}/32`)]));
  });

  it('see only their scope on the change stream and the decision stream', async () => {
    const hk = keys.get('hk-isp')!;
    const changes = (await (await get('/v1/blocklist/changes', hk)).json()) as { added: string[] };
    expect(changes.added.sort()).toEqual(HK.map((a) => `${a}/32`).sort());
    const decisions = (await (await get('/v1/decisions/stream?startup=true', hk)).json()) as { new: { value: string; id: number }[] };
    expect(decisions.new.map((d) => d.value).sort()).toEqual([...HK].sort());
    expect(new Set(decisions.new.map((d) => d.id)).size).toBe(HK.length);
    // Between polls one HK listing is delisted and a CN one added: the key hears of the first only,
    // deleted under the id it was sent.
    node.delist([HK[2]!], 'test');
    node.reportText(`${CN[0]!.replace(/\.\d+$/, '.200')}\n`);
    await node.publish();
    const next = (await (await get('/v1/decisions/stream', hk)).json()) as { new: null | unknown[]; deleted: { value: string; id: number }[] | null };
    expect(next.new).toBeNull();
    expect(next.deleted!.map((d) => [d.value, d.id])).toEqual([[HK[2], decisions.new.find((d) => d.value === HK[2])!.id]]);
  });

  it('get 403 OUTSIDE_SCOPE for lookups outside their scope, and the origin inside it', async () => {
    const hk = keys.get('hk-isp')!;
    const outside = await get(`/v1/lookup/${CN[0]}`, hk);
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('OUTSIDE_SCOPE');
    const inside = (await (await get(`/v1/lookup/${HK[0]}`, hk)).json()) as { listed: boolean; origin: { country: string } };
    expect(inside.listed).toBe(true);
    expect(inside.origin.country).toBe('HK');
  });

  it('`subscriber list` shows each scope expanded to the prefixes it covers', async () => {
    const list = await runCli(['subscriber', 'list', '--data', dir, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as { name: string; scope: { countries: string[]; covers: string[] } | null }[];
    const hk = rows.find((r) => r.name === 'hk-isp')!;
    expect(hk.scope!.countries).toEqual(['HK']);
    const hkRows = mergeRanges(
      (await import('../helpers/origin-rows.js')).countryRows().filter((r) => r.country === 'HK').map((r) => [r.start, r.end] as [number, number]),
    );
    expect(prefixRanges(hk.scope!.covers)).toEqual(hkRows);
    expect(rows.find((r) => r.name === 'all')!.scope).toBeNull();
  });
});
