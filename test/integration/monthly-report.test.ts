import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDescriptor } from '../../src/config/descriptor.js';
import type { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import type { MonthlyData } from '../../src/read/monthly-data.js';
import { descriptorFor, FakePeerServer, listEntry, pageHandler, payloadJson, signRaw, testKey } from '../helpers/fake-peer.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { addressesIn, countryOf, v4 } from '../helpers/origin-rows.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * `spamx monthly` (issue 15 item 5) on a real store: this centre's own listings, a partner's
 * pulled from its real node, and a third feed whose batch carries entries this node's policy
 * refuses. The figures are checked against what the test published, the origins against the
 * data's CSV read plainly, and the HTML file is opened in Debian's Chromium with every request
 * recorded: nothing but the file itself, no console error, and each chart drew the JSON's values.
 */
const tmp = tempDir();
const fake = new FakePeerServer();
const MONTH = new Date().toISOString().slice(0, 7);
let hub: SpamxNode;
let partner: SpamxNode;
let hubDir: string;

const OWN = [...addressesIn('JP', 3), ...addressesIn('KR', 2)];
const PARTNER = [...addressesIn('CN', 4), addressesIn('JP', 5)[4]!];
const THIRD = addressesIn('HK', 1);
/** Refused by the hub: special-purpose space (RFC 1918), and shorter than its /16 minimum. */
const REFUSED = { PREFIX_SPECIAL_PURPOSE: '10.1.2.3', PREFIX_TOO_SHORT: '58.0.0.0/8' };

/** The originating AS of an IPv4 address, from the default data's CSV read plainly. */
let asnRows: [number, number, number][] | undefined;
function asnOf(address: string): number | null {
  asnRows ??= readFileSync(createRequire(import.meta.url).resolve('@ip-location-db/asn/asn-ipv4-num.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',', 3).map(Number) as [number, number, number]);
  const n = v4(address);
  return asnRows.find(([start, end]) => start <= n && n <= end)?.[2] ?? null;
}

function tally<T>(values: readonly T[]): Map<T, number> {
  const out = new Map<T, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

async function monthly(...args: string[]) {
  return runCli(['monthly', '--data', hubDir, ...args]);
}

beforeAll(async () => {
  hubDir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { country: 'JP' } });
  hub = await startTestNode(hubDir);
  partner = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: { ...PUBLIC_FEEDS, country: 'CN' } }));
  hub.reportText(`${OWN.join('\n')}\n`);
  await hub.publish();
  partner.reportText(`${PARTNER.join('\n')}\n`);
  await partner.publish();
  await pinTestPeer(hub, partner);

  // A third centre's batch, first seen now so that it falls in this month whenever the test runs.
  const key = await testKey();
  const seen = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const entries = [...THIRD, ...Object.values(REFUSED)].map((p) => ({ ...listEntry(p), firstSeen: seen }));
  fake.routes.set('/v1/feeds/hk-ofta/batches', pageHandler('hk-ofta', [await signRaw(key, payloadJson({ publisher: 'hk-ofta', seq: 1, prev: null, entries }))]));
  await pinPeer(hub.config, parseDescriptor(descriptorFor('hk-ofta', key), 'fake'), { url: await fake.listen() });
  await hub.reload();
  for (const report of await hub.pullAll()) expect(report.error, JSON.stringify(report)).toBeUndefined();
  hub.project();
});

afterAll(async () => {
  await hub?.destroy();
  await partner?.destroy();
  await fake.close();
  tmp.cleanup();
});

describe('spamx monthly', () => {
  let data: MonthlyData;

  it('--json gives the month as published: listings per source, refusals by code, origins', async () => {
    const cli = await monthly('--month', MONTH, '--json');
    expect(cli.code, cli.stderr).toBe(0);
    data = JSON.parse(cli.stdout) as MonthlyData;
    expect(data.month).toBe(MONTH);
    expect(data.centre).toMatchObject({ id: 'jp-dekyo', name: 'jp-dekyo test centre', country: 'JP' });
    expect(data.period.from).toBe(`${MONTH}-01T00:00:00Z`);
    expect(data.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

    const listed = OWN.length + PARTNER.length + THIRD.length;
    expect(data.sources).toEqual([
      { source: 'cn-isc', started: PARTNER.length, ended: 0 },
      { source: 'jp-dekyo', started: OWN.length, ended: 0 },
      { source: 'hk-ofta', started: THIRD.length, ended: 0 },
    ]);
    expect(data.totals).toEqual({ started: listed, ended: 0, refused: 2, listedAtStart: 0, listedAtEnd: listed });
    expect(data.refusals).toEqual([
      { code: 'PREFIX_SPECIAL_PURPOSE', count: 1, publishers: [{ publisher: 'hk-ofta', count: 1 }] },
      { code: 'PREFIX_TOO_SHORT', count: 1, publishers: [{ publisher: 'hk-ofta', count: 1 }] },
    ]);
    expect(data.listSize[0]).toEqual({ at: data.period.from, listed: 0 });
    expect(data.listSize.at(-1)).toEqual({ at: data.period.to, listed });
    expect(data.listSizeDaily.at(-1)!.listed).toBe(listed);

    const all = [...OWN, ...PARTNER, ...THIRD];
    const countries = tally(all.map((a) => countryOf(v4(a)) ?? 'unknown'));
    expect(new Map(data.origin.countries.map((r) => [r.country, r.pieces]))).toEqual(countries);
    expect(data.origin.pieces).toBe(listed);
    expect(data.origin.ownCountry).toEqual({ country: 'JP', pieces: countries.get('JP'), share: countries.get('JP')! / listed });
    const networks = tally(all.map(asnOf));
    expect(new Map(data.origin.networks.map((r) => [r.asn, r.pieces]))).toEqual(networks);
    expect(data.origin.networks.filter((r) => r.asn !== null).every((r) => typeof r.name === 'string')).toBe(true);
    expect(data.origins.attribution).toMatch(/^IP origin data by DB-IP, CC BY 4\.0/);
    expect(data.origins.sets.map((s) => s.name.split(' ')[0])).toEqual(['@ip-location-db/asn-country', '@ip-location-db/asn']);

    expect(data.trend.months).toHaveLength(12);
    expect(data.trend.months.at(-1)).toBe(MONTH);
    expect(data.trend.sources.map((s) => [s.source, s.started.at(-1), s.started.slice(0, -1).every((n) => n === 0)])).toEqual([
      ['cn-isc', PARTNER.length, true],
      ['hk-ofta', THIRD.length, true],
      ['jp-dekyo', OWN.length, true],
    ]);
    expect(data.trend.refused.at(-1)).toBe(2);
  });

  it('--html FILE writes one self-contained page that draws in Chromium with no request outside it', async () => {
    const file = join(tmp.path, 'report.html');
    const cli = await monthly('--month', MONTH, '--html', file);
    expect(cli.code, cli.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    // No attribute or style points outside the file.
    expect(text.match(/\b(?:src|href|action)\s*=\s*["']?(?!#)[^"'\s>]+/gi) ?? []).toEqual([]);
    expect(text.match(/url\(\s*["']?(?!data:|#)/gi) ?? []).toEqual([]);
    expect(text).not.toMatch(/@import/i);
    for (const said of ['jp-dekyo test centre', 'jp-dekyo', MONTH, data.centre.publicUrl, 'IP origin data by DB-IP, CC BY 4.0', 'PREFIX_SPECIAL_PURPOSE', 'cn-isc', 'hk-ofta']) {
      expect(text).toContain(said);
    }
    const embedded = JSON.parse(/<script type="application\/json" id="monthly-data">([^<]*)<\/script>/.exec(text)![1]!) as MonthlyData;
    expect(embedded.sources).toEqual(data.sources);

    const browser: Browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${file}`);
      // Expressions as text: they run in the page, and the test's TypeScript has no DOM types.
      await page.waitForFunction('document.body.dataset.chartsDrawn !== undefined', undefined, { timeout: 60_000 });
      expect(requests).toEqual([`file://${file}`]);
      expect(errors).toEqual([]);
      expect(await page.evaluate('document.body.dataset.chartsDrawn')).toBe('6');
      expect(await page.locator('[data-chart] canvas').count()).toBe(6);
      const charts = (await page.evaluate('window.spamxMonthlyCharts')) as Record<string, number[][]>;
      expect(charts.sources![1]).toEqual(embedded.sources.map((s) => s.started));
      expect(charts.countries![1]).toEqual(embedded.origin.countries.map((r) => r.pieces));
      expect(charts.networks![1]).toEqual(embedded.origin.networks.map((r) => r.pieces));
      expect(charts.refusals![1]).toEqual([1, 1]);
      expect(charts['list-size']![1]).toEqual(embedded.listSize.map((p) => p.listed));
      expect(charts['list-size']![0]).toEqual(embedded.listSize.map((p) => Date.parse(p.at) / 1000));
      expect(charts.trend!.slice(1)).toEqual(embedded.trend.sources.map((s) => s.started));

      // Without scripts the tables still say everything.
      const bare = await browser.newPage({ javaScriptEnabled: false });
      await bare.goto(`file://${file}`);
      const sources = await bare.locator('#sources tbody tr').allInnerTexts();
      expect(sources.map((row) => row.split('\t').map((c) => c.trim()))).toEqual(data.sources.map((s) => [s.source, String(s.started), String(s.ended)]));
      expect(await bare.locator('canvas').count()).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('--html - writes the page to standard output; a month without data still renders, saying so', async () => {
    const earlier = new Date(Date.UTC(Number(MONTH.slice(0, 4)), Number(MONTH.slice(5)) - 3, 1)).toISOString().slice(0, 7);
    const cli = await monthly('--month', earlier, '--html', '-');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^<!doctype html>/);
    expect(cli.stdout).toContain(`No listings in ${earlier}.`);
    const json = JSON.parse((await monthly('--month', earlier, '--json')).stdout) as MonthlyData;
    expect(json.totals).toEqual({ started: 0, ended: 0, refused: 0, listedAtStart: 0, listedAtEnd: 0 });
    expect(json.period.complete).toBe(true);
    expect(json.origin.pieces).toBe(0);
  });

  it('refuses a malformed, impossible or future --month with exit 2 and a message naming it', async () => {
    const next = new Date(Date.UTC(Number(MONTH.slice(0, 4)), Number(MONTH.slice(5)), 1)).toISOString().slice(0, 7);
    const cases = [
      ['2026-11-01', 'is not of the form YYYY-MM'],
      ['november', 'is not of the form YYYY-MM'],
      ['2026-13', 'the month must be 01 to 12'],
      [next, 'has not started yet'],
    ] as const;
    const results = await Promise.all(cases.map(([month]) => monthly('--month', month, '--json')));
    cases.forEach(([month, said], i) => {
      expect(results[i]!.code, month).toBe(2);
      expect(results[i]!.stderr).toContain(said);
      expect(results[i]!.stderr).toContain('Usage: spamx monthly');
    });
    const missing = await monthly('--json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--month YYYY-MM is required');
  });
});
