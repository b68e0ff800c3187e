import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { queuedCount } from '../../src/store/queue-store.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { dig, v4Name } from '../helpers/dig.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Listed parties (PROTOCOL "Additions: console"): the public page `GET /lookup/{ip}` of a real
 * node that keeps its list to subscribers, removal requests posted as JSON and as a plain HTML
 * form, their bounds per client address (each test sends from a loopback address of its own,
 * 127.0.0.N, so each is one client) and per listed address, the operator's list, and `spamx
 * requests` run beside the node: an accepted request queues a delist that, once published, takes
 * the address off the list. The DNSBL TXT and the postfix and rbldnsd exports link to the page.
 */
const ZONE = 'bl.test';
const PER_MINUTE = 6;
/** When the partner first saw 61.4.12.7: two days ago, to the second. */
const FIRST_SEEN = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * 86_400_000).toISOString().replace('.000Z', 'Z');
const tmp = tempDir();
let peer: SpamxNode;
let hub: SpamxNode;
let hubDir: string;
let operatorToken: string;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request from a chosen loopback source address: one client per address. */
function send(from: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${hub.url}${path}`, { localAddress: from, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const postJson = (from: string, body: unknown) =>
  send(from, '/v1/removal-requests', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const postForm = (from: string, fields: Record<string, string>) =>
  send(from, '/v1/removal-requests', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const spamx = (...args: string[]) => runCli([...args, '--data', hubDir]);

interface ListedRequest {
  id: string;
  address: string;
  contact: string;
  message: string;
  status: string;
  createdAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
}

beforeAll(async () => {
  peer = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  hubDir = await initTestNode(tmp.path, {
    id: 'jp-dekyo',
    config: {
      country: 'JP',
      subscribers: { public: false },
      dnsbl: { port: 0, zone: ZONE },
      serve: { publicLookupsPerMinute: PER_MINUTE },
      removals: { perClientPerDay: 2, openPerAddress: 2, maxMessageChars: 500 },
    },
  });
  operatorToken = readFileSync(join(hubDir, 'operator.token'), 'utf8').trim();
  hub = await startTestNode(hubDir);
  peer.reportText(`prefix,first_seen,last_seen,reports,expires,category\n61.4.12.7,${FIRST_SEEN},${FIRST_SEEN},4,,spam-origin\n116.31.64.9,,,,,\n`);
  await peer.publish();
  hub.reportText('61.4.12.7\n36.110.12.0/24\n114.80.1.1\n114.80.1.2\n114.80.1.3\n');
  await hub.publish();
  await pinTestPeer(hub, peer);
  expect((await hub.pull('cn-isc'))?.error).toBeUndefined();
  hub.project();
  await waitFor('the DNSBL to serve the pulled listings', async () => (await dig(hub.dnsblPort!, v4Name('116.31.64.9', ZONE))).status === 'NOERROR');
}, 120_000);

afterAll(async () => {
  await Promise.all([peer, hub].map((n) => n?.destroy()));
  tmp.cleanup();
});

describe('GET /lookup/{ip}: the public page', () => {
  it('shows a listed address, its centres, since when, why and where from, and the removal form, with no key', async () => {
    const page = await send('127.0.0.2', '/lookup/61.4.12.7');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toContain('is listed by 2 centres');
    expect(page.body).toContain('<code>cn-isc</code>');
    expect(page.body).toContain('<code>jp-dekyo</code>');
    // The node's name, id and country; the partner's first report time and category.
    expect(page.body).toContain('jp-dekyo test centre (<code>jp-dekyo</code>, JP)');
    expect(page.body).toContain(`since ${FIRST_SEEN}`);
    expect(page.body).toContain('spam-origin');
    // A plain form (no script) posting to the removal requests endpoint.
    const form = /<form class="removal" method="post" action="([^"]+)">/.exec(page.body);
    expect(form).not.toBeNull();
    expect(new URL(form![1]!, `${hub.url}/lookup/61.4.12.7`).href).toBe(`${hub.url}/v1/removal-requests`);
    expect(page.body).toMatch(/<input type="hidden" name="address" value="61.4.12.7">/);
    expect(page.body).toMatch(/name="contact"/);
    expect(page.body).toMatch(/<textarea id="message" name="message" rows="6" maxlength="500">/);
    // Self-contained: no script, stylesheet, image or anything from another host.
    expect(page.body).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    // Where the address is registered, credited to DB-IP when the default data says it.
    const origin = hub.lookup('61.4.12.7').origin;
    if (origin.country !== null) {
      expect(page.body).toContain(`<tr><th>Country</th><td>${origin.country}</td></tr>`);
      expect(page.body).toContain('IP Geolocation by <a href="https://db-ip.com">DB-IP</a> (https://db-ip.com), CC BY 4.0');
    }
  });

  it('says when an address is not listed, and offers no form', async () => {
    const page = await send('127.0.0.2', '/lookup/61.4.12.8');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<code>61.4.12.8</code> is not listed by this node.');
    expect(page.body).not.toContain('<form class="removal"');
    const v6 = await send('127.0.0.2', '/lookup/2400:cb00::1');
    expect(v6.status).toBe(200);
    expect(v6.body).toContain('<code>2400:cb00::1</code> is not listed by this node.');
  });

  it('answers 400 naming the problem for a bad address, and redirects the search box', async () => {
    for (const bad of ['61.4.12.0%2F24', 'not-an-ip', '61.4.12.999']) {
      const page = await send('127.0.0.5', `/lookup/${bad}`);
      expect(page.status, bad).toBe(400);
      expect(page.body).toContain('is not an IP address');
      expect(page.body).toContain('without a prefix length');
    }
    const redirect = await send('127.0.0.5', '/lookup?ip=2400:cb00::1');
    expect(redirect.status).toBe(303);
    expect(new URL(redirect.headers.location as string, `${hub.url}/lookup`).href).toBe(`${hub.url}/lookup/2400:cb00::1`);
  });

  it(`limits each client address to serve.publicLookupsPerMinute (${PER_MINUTE}), with Retry-After, and not the others`, async () => {
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < PER_MINUTE + 2; i++) {
      const page = await send('127.0.0.3', '/lookup/61.4.12.7');
      statuses.push(page.status);
      if (page.status === 429) limited ??= page;
    }
    expect(statuses.slice(0, PER_MINUTE)).toEqual(Array(PER_MINUTE).fill(200));
    expect(statuses.slice(PER_MINUTE)).toEqual([429, 429]);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited!.body).toContain(`at most ${PER_MINUTE} a minute`);
    // A removal request from that client is over the same bound: JSON clients get JSON.
    const json = await postJson('127.0.0.3', { address: '61.4.12.7', contact: 'noc@example.com', message: '' });
    expect(json.status).toBe(429);
    expect(JSON.parse(json.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect((await send('127.0.0.4', '/lookup/61.4.12.7')).status).toBe(200);
  });
});

describe('POST /v1/removal-requests', () => {
  it('takes JSON → 202 {"id"} and a plain form → an HTML page naming the id; nothing is delisted', async () => {
    const json = await postJson('127.0.0.10', { address: '61.4.12.7', contact: 'noc@isp-one.net', message: 'The host was cleaned on 2026-11-22.' });
    expect(json.status).toBe(202);
    const { id } = JSON.parse(json.body) as { id: string };
    expect(id).toMatch(/^rr_[\w-]{22}$/);
    const form = await postForm('127.0.0.11', { address: '116.31.64.9', contact: 'abuse@isp-two.org', message: 'Line one\r\nLine <two>' });
    expect(form.status).toBe(202);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    const formId = /Request received, id (rr_[\w-]+)\./.exec(form.body)?.[1];
    expect(formId).toBeDefined();
    expect(form.body).toContain('href="../lookup/116.31.64.9"');
    expect(hub.lookup('61.4.12.7').listed).toBe(true);
    expect(queuedCount(hub.store)).toBe(0);
  });

  it('answers the open request again when the same contact sends it twice', async () => {
    const first = await postJson('127.0.0.12', { address: '114.80.1.1', contact: 'ops@dup.example.net', message: 'first' });
    const again = await postJson('127.0.0.13', { address: '114.80.1.1', contact: 'ops@dup.example.net', message: 'again' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
  });

  it('answers 400 naming the field and how to fix it', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ address: '61.4.12.0/24', contact: 'a@b.example.com', message: '' }, 'address', /one IP address/],
      [{ address: 'x', contact: 'a@b.example.com' }, 'address', /one IP address/],
      [{ address: '61.4.12.8', contact: 'a@b.example.com' }, 'address', /not listed by this node/],
      [{ address: '61.4.12.7', contact: 'not-mail' }, 'contact', /e-mail address/],
      [{ address: '61.4.12.7' }, 'contact', /e-mail address/],
      [{ address: '61.4.12.7', contact: 'a@b.example.com', message: 'x'.repeat(501) }, 'message', /501 characters; shorten it to at most 500/],
      [{ address: '61.4.12.7', contact: 'a@b.example.com', message: 'bell\u0007' }, 'message', /control characters/],
    ];
    // Each from a client of its own: together they are more than one client's requests a minute.
    for (const [i, [body, field, message]] of cases.entries()) {
      const res = await postJson(`127.0.0.${50 + i}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (JSON.parse(res.body) as { error: { code: string; field: string; message: string } }).error;
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    }
    const form = await postForm('127.0.0.15', { address: '61.4.12.7', contact: 'nope' });
    expect(form.status).toBe(400);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.body).toContain('contact must be an e-mail address');
    const other = await send('127.0.0.15', '/v1/removal-requests', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(other.status).toBe(400);
  });

  it('bounds requests per client address a day and open requests per address (429 with Retry-After)', async () => {
    // removals.perClientPerDay = 2 for the client 127.0.0.20.
    expect((await postJson('127.0.0.20', { address: '114.80.1.2', contact: 'a@client.example.com' })).status).toBe(202);
    expect((await postJson('127.0.0.20', { address: '114.80.1.3', contact: 'a@client.example.com' })).status).toBe(202);
    const third = await postJson('127.0.0.20', { address: '61.4.12.7', contact: 'a@client.example.com' });
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error.message).toMatch(/at most 2 removal requests a day/);
    const wait = Number(third.headers['retry-after']);
    expect(wait).toBeGreaterThan(86_000);
    expect(wait).toBeLessThanOrEqual(86_400);
    // removals.openPerAddress = 2: 114.80.1.2 has one open; one more, then 429.
    expect((await postJson('127.0.0.21', { address: '114.80.1.2', contact: 'b@client.example.com' })).status).toBe(202);
    const over = await postForm('127.0.0.22', { address: '114.80.1.2', contact: 'c@client.example.com', message: '' });
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBeDefined();
    expect(over.body).toContain('114.80.1.2 already has 2 open removal requests');
  });
});

describe('the operator: GET /v1/removal-requests and spamx requests', () => {
  it('lists requests to the operator token only, newest first, with RFC 3339 times', async () => {
    expect((await send('127.0.0.30', '/v1/removal-requests')).status).toBe(401);
    const res = await send('127.0.0.30', '/v1/removal-requests?status=open&limit=50', { headers: { authorization: `Bearer ${operatorToken}` } });
    expect(res.status).toBe(200);
    const { requests } = JSON.parse(res.body) as { requests: ListedRequest[] };
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.every((r) => r.status === 'open' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(r.createdAt))).toBe(true);
    expect([...requests].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(requests);
    const form = requests.find((r) => r.address === '116.31.64.9')!;
    expect(form.message).toBe('Line one\nLine <two>');
    const bad = await send('127.0.0.30', '/v1/removal-requests?status=maybe', { headers: { authorization: `Bearer ${operatorToken}` } });
    expect(bad.status).toBe(400);
  });

  it('`spamx requests accept` beside the running node queues a delist that, once published, takes the address off the list', async () => {
    const posted = await postJson('127.0.0.31', { address: '36.110.12.9', contact: 'noc@cn-host.example.com', message: 'reassigned' });
    const { id } = JSON.parse(posted.body) as { id: string };
    const list = await spamx('requests', 'list', '--status', 'open', '--json');
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as ListedRequest[];
    expect(listed[0]).toMatchObject({ id, address: '36.110.12.9', contact: 'noc@cn-host.example.com', message: 'reassigned', status: 'open', decidedAt: null });
    const text = await spamx('requests', 'list');
    expect(text.stdout).toMatch(new RegExp(`^${id}\\topen\\t\\S+Z\\t36\\.110\\.12\\.9\\tnoc@cn-host\\.example\\.com\\treassigned$`, 'm'));

    const accepted = await spamx('requests', 'accept', id, '--note', 'host <b>reassigned</b>');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain(`accepted ${id}: a delist of 36.110.12.9 is queued`);
    expect(queuedCount(hub.store)).toBe(1);
    const after = JSON.parse((await spamx('requests', 'list', '--status', 'accepted', '--json')).stdout) as ListedRequest[];
    expect(after.map((r) => r.id)).toEqual([id]);
    expect(after[0]!.decisionNote).toBe('host <b>reassigned</b>');
    expect(after[0]!.decidedAt).toMatch(/Z$/);

    // The delist withdraws the node's own listing covering the address (36.110.12.0/24).
    expect(hub.lookup('36.110.12.9').listed).toBe(true);
    await hub.publish();
    hub.project();
    const lookup = hub.lookup('36.110.12.9');
    expect(lookup.listed).toBe(false);
    expect(lookup.notListedBecause).toContain('jp-dekyo delisted 36.110.12.0/24 (host <b>reassigned</b>)');
    const page = await send('127.0.0.31', '/lookup/36.110.12.9');
    expect(page.body).toContain('is not listed by this node');
    // The note is the delist's reason, shown on the page: as text, escaped.
    expect(page.body).toContain('<li>jp-dekyo delisted 36.110.12.0/24 (host &lt;b&gt;reassigned&lt;/b&gt;)</li>');
    await waitFor('the DNSBL to drop the delisted range', async () => (await dig(hub.dnsblPort!, v4Name('36.110.12.9', ZONE))).status === 'NXDOMAIN');

    // Deciding it again: CONFLICT, exit 1, saying how it was decided.
    const twice = await spamx('requests', 'reject', id);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/CONFLICT/);
    expect(twice.stderr).toContain(`removal request ${id} was already accepted at `);
    const unknown = await spamx('requests', 'accept', 'rr_nosuchrequest');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/NOT_FOUND.*no removal request has the id "rr_nosuchrequest"/);
  });

  it('`spamx requests reject` marks the request and delists nothing', async () => {
    const open = (await hub.store.db.prepare("SELECT id FROM removal_requests WHERE address = '61.4.12.7' AND status = 'open'").all()) as { id: string }[];
    const id = open[0]!.id;
    const queued = queuedCount(hub.store);
    const rejected = await spamx('requests', 'reject', id, '--note', 'still sending');
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`rejected ${id}`);
    expect(queuedCount(hub.store)).toBe(queued);
    const res = await send('127.0.0.32', '/v1/removal-requests?status=rejected', { headers: { authorization: `Bearer ${operatorToken}` } });
    expect((JSON.parse(res.body) as { requests: ListedRequest[] }).requests).toMatchObject([{ id, status: 'rejected', decisionNote: 'still sending' }]);
    expect(hub.lookup('61.4.12.7').listed).toBe(true);
    // The node's own action, as the dashboard calls it: the same CONFLICT.
    expect(() => hub.decideRemovalRequest(id, 'accept', null)).toThrow(/already rejected/);
  });
});

describe('texts that link to the page', () => {
  it('the DNSBL TXT, the postfix table and the rbldnsd data point at /lookup/<ip>, which answers without a key', async () => {
    const txt = await dig(hub.dnsblPort!, v4Name('61.4.12.7', ZONE), 'TXT');
    expect(txt.answer.map((r) => r.data)).toEqual([`"Listed by cn-isc jp-dekyo; see ${hub.url}/lookup/61.4.12.7"`]);
    const link = /see (\S+)"/.exec(txt.answer[0]!.data)![1]!;
    const page = await send('127.0.0.40', new URL(link).pathname);
    expect(page.status).toBe(200);
    expect(page.body).toContain('is listed by 2 centres');

    const { key } = addSubscriber(hub.store, 'isp-formats', Date.now());
    const get = (format: string) => send('127.0.0.40', `/v1/blocklist?format=${format}`, { headers: { 'x-api-key': key } });
    const postfix = await get('postfix');
    expect(postfix.status).toBe(200);
    expect(postfix.body).toContain(`61.4.12.7/32 REJECT listed by spamx at jp-dekyo from cn-isc, jp-dekyo; see ${hub.url}/lookup/61.4.12.7\n`);
    const rbldnsd = await get('rbldnsd');
    expect(rbldnsd.body).toContain(`:127.0.0.2:Listed by spamx, see ${hub.url}/lookup/$\n`);
    expect(postfix.body).not.toContain('/v1/lookup/');
  });
});
