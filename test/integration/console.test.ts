import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOperatorToken } from '../../src/config/identity.js';
import type { SpamxNode } from '../../src/daemon.js';
import { listRemovalRequests } from '../../src/store/removal-request-store.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { flushSubscriberUsage } from '../../src/store/subscriber-usage-store.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { addressesIn, countryOf, v4 } from '../helpers/origin-rows.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Issue 15 item 1: the operator's console at /ui/, driven in Debian's Chromium by
 * playwright-core against two real nodes on loopback. The partner (jp-dekyo) publishes listings
 * of public addresses, some in the node's own country (CN), over seven weeks of a shared clock;
 * the node (cn-isc) pulls them. Every chart's drawn values are compared with its JSON endpoint,
 * and those with what the test itself listed; every request the browser makes must go to the
 * node; a removal request sent on the public page is accepted in the browser and queues a
 * delist; a wrong token, a missing CSRF token and a forged cookie are refused.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) console.warn(`console.test.ts skipped: ${CHROMIUM} is missing (Debian package "chromium"; .ci/run installs it)`);

const DAY = 86_400_000;
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
const tmp = tempDir();
/** The shared clock: seven weeks back at first, then real time. */
let fixed: number | undefined = Date.now() - 50 * DAY;
const clock = () => fixed ?? Date.now();

const CN = addressesIn('CN', 9);
const JP = addressesIn('JP', 5);
const HK = addressesIn('HK', 3);
const KR = addressesIn('KR', 3);
/** What the partner lists in each of its three rounds, /32s all; and a /16 the node's policy refuses. */
const ROUNDS = [
  [...CN.slice(0, 3), ...JP.slice(0, 2), HK[0]!],
  [...CN.slice(3, 6), JP[2]!, KR[0]!, KR[1]!],
  [...CN.slice(6, 8), JP[3]!, HK[1]!],
];
/** What a second partner lists in the second round, before it goes down for good. */
const TW = addressesIn('TW', 2);
const TOO_SHORT = `${KR[2]!.split('.').slice(0, 2).join('.')}.0.0/16`;
/** The node's own listings; the first is the one a listed party asks to have removed. */
const OWN = [CN[8]!, JP[4]!, HK[2]!];
const PARTNER_LISTED = ROUNDS.flat();
const LISTED = [...PARTNER_LISTED, ...TW, ...OWN];

let partner: SpamxNode;
let gone: SpamxNode | undefined;
let node: SpamxNode;
let token: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requested: string[] = [];

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function open(path: string): Promise<void> {
  const res = await page.goto(`${node.url}${path}`);
  expect(res?.status(), path).toBe(200);
}

/** Waits until every chart on the page has drawn (or said it has nothing), then what it drew. */
async function drawnCharts(): Promise<Record<string, { labels: string[]; series: { label: string; values: number[] }[]; drawn: number[][] }>> {
  // Selectors, not a function: the console's CSP forbids the eval a polled function needs.
  expect(await page.locator('[data-chart]').count()).toBe(4);
  await page.waitForSelector('[data-chart]:not([data-drawn])', { state: 'detached', timeout: 60_000 });
  expect(await page.locator('[data-drawn=error]').count()).toBe(0);
  return (await page.evaluate('window.spamxCharts')) as never;
}

async function sessionCookie(): Promise<string> {
  const cookie = (await context.cookies(`${node.url}/ui/`)).find((c) => c.name === 'spamx_console');
  return `spamx_console=${cookie!.value}`;
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  const expiry = { schedule: '0 0 1 1 *', defaultExpiryDays: 80 };
  partner = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo', config: { ...PUBLIC_FEEDS, country: 'JP', publish: expiry } }), clock);
  node = await startTestNode(
    await initTestNode(tmp.path, { id: 'cn-isc', config: { country: 'CN', publish: expiry, policy: { minPrefixLength: { v4: 20, v6: 32 } } } }),
    clock,
  );
  token = loadOperatorToken(node.config.paths);
  gone = await startTestNode(await initTestNode(tmp.path, { id: 'tw-ncc', config: { ...PUBLIC_FEEDS, country: 'TW', publish: expiry } }), clock);
  await pinTestPeer(node, partner);
  await pinTestPeer(node, gone);
  // Three rounds three weeks apart: the list's size over time and listings by month have history.
  for (const [round, prefixes] of ROUNDS.entries()) {
    partner.reportText(`${[...prefixes, ...(round === 0 ? [TOO_SHORT] : [])].join('\n')}\n`);
    await partner.publish();
    const pulled = await node.pull('jp-dekyo');
    expect(pulled?.ok, JSON.stringify(pulled?.error)).toBe(true);
    if (round === 1) {
      gone!.reportText(`${TW.join('\n')}\n`);
      await gone!.publish();
      expect((await node.pull('tw-ncc'))?.ok).toBe(true);
    }
    if (round === 0) {
      // One line of the node's own report is refused too (special-purpose space).
      node.reportText(`${OWN.join('\n')}\n10.1.2.3\n`);
      await node.publish();
    }
    node.project();
    if (round < 2) fixed! += 24 * DAY;
  }
  fixed = undefined;
  // The second partner goes down: its last pull failed, and it is backing off.
  await gone!.destroy();
  gone = undefined;
  expect((await node.pull('tw-ncc'))?.ok).toBe(false);
  // A last pull by the real clock: the witness state is fresh on the peers page.
  expect((await node.pull('jp-dekyo'))?.ok).toBe(true);
  const { subscriber } = addSubscriber(node.store, 'isp-cn', clock(), { scope: { countries: ['CN'], asns: [], within: [] }, contact: 'abuse@isp-cn.example' });
  addSubscriber(node.store, 'resolver-all', clock());
  flushSubscriberUsage(node.store, [{ subscriberId: subscriber.id, requests: 42, limited: 3, lastUsedAt: clock() - 60_000 }], clock());

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on('request', (r) => requested.push(r.url()));
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await node?.destroy();
  await partner?.destroy();
  await gone?.destroy();
  tmp.cleanup();
});

describe.skipIf(!HAS_CHROMIUM)('the operator console in Chromium', () => {
  it('sends a browser without a session to the login, and logs in with the operator token', async () => {
    await page.goto(`${node.url}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${node.url}/ui/`), page.click('button[type=submit]')]);
    const cookie = (await context.cookies(`${node.url}/ui/`)).find((c) => c.name === 'spamx_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui', secure: false });
    expect(cookie!.value.length).toBeGreaterThanOrEqual(43);
  });

  it('overview: each chart draws its endpoint’s series, and those are what the partner listed', async () => {
    await open('/ui/');
    const charts = await drawnCharts();

    const size = await api<{ points: { at: string; listed: number }[] }>('/ui/api/list-size');
    expect(size.points.length).toBeGreaterThanOrEqual(4);
    expect(charts['list-size']!.drawn).toEqual([size.points.map((p) => Date.parse(p.at) / 1000), size.points.map((p) => p.listed)]);
    for (const p of size.points) expect(p.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    // Each round adds its listings: the line climbs to everything listed.
    expect(size.points.at(-1)!.listed).toBe(LISTED.length);
    expect(size.points[0]!.listed).toBe(ROUNDS[0]!.length + OWN.length);

    const months = await api<{ months: string[]; sources: { source: string; started: number[] }[] }>('/ui/api/listings-by-month');
    expect(months.months.length).toBeGreaterThanOrEqual(2);
    const started = Object.fromEntries(months.sources.map((s) => [s.source, s.started.reduce((a, b) => a + b, 0)]));
    expect(started).toEqual({ 'cn-isc': OWN.length, 'jp-dekyo': PARTNER_LISTED.length, 'tw-ncc': TW.length });
    const byMonth = charts['listings-by-month']!;
    expect(byMonth.labels).toEqual(months.months);
    expect(byMonth.series).toEqual(months.sources.map((s) => ({ label: s.source, values: s.started })));
    // Drawn stacked: each source's bar tops the ones before it.
    expect(byMonth.drawn.slice(1)).toEqual(months.sources.map((_, k) => months.months.map((__, i) => months.sources.slice(0, k + 1).reduce((n, s) => n + s.started[i]!, 0))));

    const origins = await api<{ countries: { country: string; pieces: number }[]; domestic: { country: string; pieces: number; share: number }; total: number; networks: { asn: number | null }[] }>('/ui/api/origins');
    const listed = LISTED;
    const expected = new Map<string, number>();
    for (const a of listed) expected.set(countryOf(v4(a))!, (expected.get(countryOf(v4(a))!) ?? 0) + 1);
    expect(new Map(origins.countries.map((r) => [r.country, r.pieces]))).toEqual(expected);
    expect(origins.domestic).toMatchObject({ country: 'CN', pieces: 9 });
    expect(origins.domestic.share).toBeCloseTo(9 / listed.length, 6);
    expect(charts.origins!.labels).toEqual(origins.countries.map((r) => r.country));
    expect(charts.origins!.drawn[1]).toEqual(origins.countries.map((r) => r.pieces));
    expect(origins.networks.length).toBeGreaterThan(0);

    const refusals = await api<{ codes: { code: string; count: number }[] }>('/ui/api/refusals');
    expect(new Map(refusals.codes.map((r) => [r.code, r.count]))).toEqual(new Map([['PREFIX_TOO_SHORT', 1], ['PREFIX_SPECIAL_PURPOSE', 1]]));
    expect(charts.refusals!.labels).toEqual(refusals.codes.map((r) => r.code));
    expect(charts.refusals!.drawn[1]).toEqual(refusals.codes.map((r) => r.count));

    // The figures and the networks table are on the page itself.
    const text = await page.textContent('main');
    expect(text).toContain(`${((9 / listed.length) * 100).toFixed(1)} %`);
    expect(await page.locator('#networks tbody tr').count()).toBe(origins.networks.length);
    expect(await page.locator('.u-legend').count()).toBe(4);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  it('peers: the partner’s last pull, lag, witness state and key history', async () => {
    await open('/ui/peers');
    const section = page.locator('#peer-jp-dekyo');
    const text = (await section.textContent())!;
    const status = node.status().peers.find((p) => p.id === 'jp-dekyo')!;
    expect(text).toContain(status.lastSuccessAt!);
    expect(text).toContain('0 batches');
    expect(text).toMatch(/witnessed|no quorum/);
    expect(text).toContain(partner.identity.kid);
    expect(await section.locator('h2 .ok').textContent()).toBe('OK');
    const down = (await page.locator('#peer-tw-ncc').textContent())!;
    expect(down).toContain('PEER_UNREACHABLE');
    expect(down).toContain('1 failure');
    expect(down).toContain(node.status().peers.find((p) => p.id === 'tw-ncc')!.nextAttemptAt!);
    await page.screenshot({ path: join(SCREENSHOTS, 'peers.png'), fullPage: true });
  });

  it('subscribers: names, scopes, last use, requests and 429s of the last day', async () => {
    await open('/ui/subscribers');
    const row = page.locator('tr', { hasText: 'isp-cn' });
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toContain('country:CN');
    expect(cells[4]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(cells.slice(5, 7)).toEqual(['42', '3']);
    expect(await page.locator('tr', { hasText: 'resolver-all' }).locator('td').nth(1).textContent()).toBe('whole list');
  });

  it('a listing’s page from the search box: provenance, origin and the evidence bundle', async () => {
    await open('/ui/');
    await page.fill('input[name=ip]', CN[0]!);
    await Promise.all([page.waitForURL(`${node.url}/ui/listing/${CN[0]}`), page.press('input[name=ip]', 'Enter')]);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('Listed');
    expect(main).toContain('jp-dekyo');
    expect(main).toContain('CN');
    const href = await page.getAttribute('a[download]', 'href');
    const res = await page.request.get(`${node.url}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-disposition']).toContain('attachment');
    const bundle = (await res.json()) as { address: string; listings: { publisher: string }[] };
    expect(bundle.address).toBe(CN[0]);
    expect(bundle.listings.map((l) => l.publisher)).toEqual(['jp-dekyo']);
  });

  it('a removal request sent on the public page is accepted in the console, which queues a delist', async () => {
    await page.goto(`${node.url}/lookup/${OWN[0]}`);
    await page.fill('#contact', 'postmaster@listed-party.example');
    await page.fill('#message', 'Our relay was fixed on Monday.');
    await Promise.all([page.waitForLoadState('load'), page.click('form.removal button')]);
    const queued = node.status().feed.queuedReports;
    await open('/ui/requests');
    const row = page.locator('tr', { hasText: OWN[0]! });
    expect(await row.textContent()).toContain('Our relay was fixed on Monday.');
    await row.locator('input[name=note]').fill('relay fixed');
    await Promise.all([page.waitForURL(/\/ui\/requests\?decided=/), row.locator('button[value=accept]').click()]);
    expect(await page.textContent('.flash')).toContain('accepted');
    expect(node.status().feed.queuedReports).toBe(queued + 1);
    expect(listRemovalRequests(node.store, { status: 'accepted' }).map((r) => r.address)).toEqual([OWN[0]]);
  });

  it('the monthly report opens from the console, sandboxed', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const res = await fetch(`${node.url}/ui/monthly?month=${month}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox allow-scripts;/);
    expect(await res.text()).toContain(month);
    await open('/ui/monthly');
    expect(await page.locator(`a[href="/ui/monthly?month=${month}"]`).count()).toBe(1);
  });

  it('no page logged an error, and the browser asked nothing of anyone but the node', async () => {
    for (const path of ['/ui/', '/ui/peers', '/ui/subscribers', '/ui/requests', '/ui/monthly', `/ui/listing/${JP[0]}`]) {
      await open(path);
      if (path === '/ui/') await drawnCharts();
    }
    expect(consoleErrors).toEqual([]);
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => !u.startsWith(`${node.url}/`))).toEqual([]);
    expect(requested.some((u) => u.includes('/ui/assets/uplot.js'))).toBe(true);
  });

  it('refuses a wrong token, a missing or foreign CSRF token and a forged cookie', async () => {
    const wrong = await fetch(`${node.url}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: 'not-the-token' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const created = await fetch(`${node.url}/v1/removal-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: OWN[1], contact: 'noc@listed-party.example', message: 'please' }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const cookie = await sessionCookie();
    const decide = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${node.url}/ui/requests/${id}/decide`, { method: 'POST', headers: { cookie, ...headers }, body: new URLSearchParams(body), redirect: 'manual' });
    expect((await decide({ decision: 'reject' })).status).toBe(403);
    expect((await decide({ decision: 'reject', csrf: 'x'.repeat(43) })).status).toBe(403);
    // The right token, from another site's page.
    await open('/ui/requests');
    const csrf = (await page.getAttribute(`#request-${id} input[name=csrf]`, 'value'))!;
    expect((await decide({ decision: 'reject', csrf }, { origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect(listRemovalRequests(node.store, { status: 'open' }).map((r) => r.id)).toEqual([id]);

    const forged = { cookie: 'spamx_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const pageRes = await fetch(`${node.url}/ui/peers`, { headers: forged, redirect: 'manual' });
    expect(pageRes.status).toBe(303);
    expect(pageRes.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fpeers');
    expect((await fetch(`${node.url}/ui/api/list-size`, { headers: forged })).status).toBe(401);
    expect((await fetch(`${node.url}/ui/requests/${id}/decide`, { method: 'POST', headers: forged, body: new URLSearchParams({ decision: 'accept' }), redirect: 'manual' })).status).toBe(303);
    expect(listRemovalRequests(node.store, { status: 'open' }).map((r) => r.id)).toEqual([id]);

    const headers = (await fetch(`${node.url}/ui/`, { headers: { cookie } })).headers;
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(headers.get('cache-control')).toBe('no-store');
  });

  it('logs out: the cookie no longer opens the console', async () => {
    const cookie = await sessionCookie();
    await open('/ui/');
    await Promise.all([page.waitForURL(/\/ui\/login$/), page.click('text=Log out')]);
    expect((await fetch(`${node.url}/ui/api/list-size`, { headers: { cookie } })).status).toBe(401);
  });

  it('counts wrong tokens at the login with the operator API’s own limit', async () => {
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) {
      status = (await fetch(`${node.url}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: `guess-${i}` }), redirect: 'manual' })).status;
    }
    expect(status).toBe(429);
    // The API refuses the address as well, even the right token: the count is one.
    expect((await fetch(`${node.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(429);
  });
});
