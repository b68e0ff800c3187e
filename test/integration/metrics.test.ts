import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpamxNode } from '../../src/daemon.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { subscriberUsageSince } from '../../src/store/subscriber-usage-store.js';
import { dig, v4Name } from '../helpers/dig.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { freePort } from '../helpers/free-port.js';

/**
 * `GET /metrics` (PROTOCOL "Additions: console") on a real node that pulled a real partner,
 * checked by value, by `promtool check metrics`, and scraped by a real Prometheus server whose
 * HTTP API is then asked for the pull series; the sample alert rules checked by `promtool check
 * rules` and loaded by that server; the access log read back from the node's own pino output.
 */
const tmp = tempDir('spamx-metrics-');
const ZONE = 'bl.metrics.test';
const RULES = fileURLToPath(new URL('../fixtures/spamx-alerts.yml', import.meta.url));
const LISTED = ['61.4.12.7', '36.110.4.9', '114.80.2.3', '1.0.4.8', '1.0.9.66'];
let partner: SpamxNode | undefined;
let node: SpamxNode;
let token: string;
let subscriberKey: string;
const logLines: Record<string, unknown>[] = [];
let rawLog = '';
let prometheus: ChildProcess | undefined;

/** One Prometheus text sample's value, or undefined; labels must match exactly as given (a subset). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<string> {
  const res = await fetch(`${node.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function run(command: string, args: string[], input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}


beforeAll(async () => {
  partner = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo', config: { ...PUBLIC_FEEDS, metrics: { public: true } } }));
  const dir = await initTestNode(tmp.path, {
    id: 'cn-metrics',
    config: { subscribers: { public: false, rateLimitPerMinute: 4 }, dnsbl: { port: 0, zone: ZONE } },
  });
  // The node's own pino output, every line kept (the access log is at info).
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString();
      rawLog += text;
      for (const line of text.split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  node = await SpamxNode.create({ dataDir: dir, logger: pino({ level: 'info' }, sink), reloadIntervalMs: 200 });
  await node.start();
  token = readFileSync(join(dir, 'operator.token'), 'utf8').trim();
  subscriberKey = addSubscriber(node.store, 'isp-metrics', Date.now()).key;
  partner.reportText(LISTED.join('\n'));
  await partner.publish();
  await pinTestPeer(node, partner);
}, 120_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await node?.destroy();
  await partner?.destroy();
  tmp.cleanup();
});

describe('GET /metrics', () => {
  it('needs the operator token, unless metrics.public', async () => {
    expect((await fetch(`${node.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    // A subscriber key is no operator token.
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${subscriberKey}` } })).status).toBe(401);
    expect(await scrape()).toContain('# TYPE spamx_pulls_total counter');
    // The partner is configured with metrics.public: no token needed.
    const open = await fetch(`${partner!.url}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('spamx_http_requests_total');
  });

  it('counts a pull, its batches and entries, by peer and outcome', async () => {
    const report = await node.pull('jp-dekyo');
    expect(report?.ok, JSON.stringify(report?.error)).toBe(true);
    expect(report!.listed).toBe(LISTED.length);
    node.project();
    const text = await scrape();
    expect(sample(text, 'spamx_pulls_total', { peer: 'jp-dekyo', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'spamx_pull_duration_seconds_count', { peer: 'jp-dekyo' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'spamx_entries_applied_total', { peer: 'jp-dekyo', op: 'list' })).toBe(LISTED.length);
    expect(sample(text, 'spamx_batch_verify_duration_seconds_count', { peer: 'jp-dekyo' })).toBe(report!.batches);
    expect(sample(text, 'spamx_batch_apply_duration_seconds_count', { peer: 'jp-dekyo' })).toBe(report!.batches);
    expect(sample(text, 'spamx_merged_list_size')).toBe(LISTED.length);
    expect(sample(text, 'spamx_changelog_position')).toBeGreaterThanOrEqual(LISTED.length);
    expect(sample(text, 'spamx_peer_last_success_timestamp_seconds', { peer: 'jp-dekyo' })).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(sample(text, 'spamx_witness_trusted_size', { peer: 'jp-dekyo' })).toBe(1);
    expect(sample(text, 'spamx_feed_frozen', { peer: 'jp-dekyo' })).toBe(0);
    expect(sample(text, 'spamx_frozen_feeds')).toBe(0);
    // Process metrics, prefixed too.
    expect(sample(text, 'spamx_process_resident_memory_bytes')).toBeGreaterThan(0);
    // A failing pull is counted by its error code: the partner stops.
    await partner!.destroy();
    partner = undefined;
    const failed = await node.pull('jp-dekyo');
    expect(failed?.ok).toBe(false);
    const after = await scrape();
    expect(sample(after, 'spamx_pulls_total', { peer: 'jp-dekyo', outcome: failed!.error!.code })).toBe(1);
    expect(sample(after, 'spamx_peer_consecutive_failures', { peer: 'jp-dekyo' })).toBe(1);
  });

  it('counts DNSBL queries by answer and transport', async () => {
    const before = await scrape();
    const count = (text: string, answer: string, transport: string) => sample(text, 'spamx_dnsbl_queries_total', { answer, transport }) ?? 0;
    await waitFor('the DNSBL to list the pulled addresses', async () => (await dig(node.dnsblPort!, v4Name(LISTED[0]!, ZONE))).status === 'NOERROR');
    const listedBefore = count(await scrape(), 'listed', 'udp');
    expect((await dig(node.dnsblPort!, v4Name(LISTED[1]!, ZONE))).answer).toHaveLength(1);
    expect((await dig(node.dnsblPort!, v4Name('1.0.0.99', ZONE))).status).toBe('NXDOMAIN');
    expect((await dig(node.dnsblPort!, v4Name('1.0.0.98', ZONE), 'A', { tcp: true })).status).toBe('NXDOMAIN');
    expect((await dig(node.dnsblPort!, 'spamx.other.zone')).status).toBe('REFUSED');
    const text = await scrape();
    expect(count(text, 'listed', 'udp')).toBe(listedBefore + 1);
    expect(count(text, 'not_listed', 'udp')).toBe(count(before, 'not_listed', 'udp') + 1);
    expect(count(text, 'not_listed', 'tcp')).toBe(count(before, 'not_listed', 'tcp') + 1);
    expect(count(text, 'refused', 'udp')).toBe(count(before, 'refused', 'udp') + 1);
  });

  it('counts HTTP requests by route template and status, and subscribers over their rate', async () => {
    const before = await scrape();
    const lookups = (text: string, status: string) => sample(text, 'spamx_http_requests_total', { route: '/v1/lookup/:ip', method: 'GET', status }) ?? 0;
    const statuses: number[] = [];
    // The rate limit is 4 a minute: the fifth and sixth get 429.
    for (const ip of [...LISTED, '1.0.0.7']) {
      const res = await fetch(`${node.url}/v1/lookup/${ip}`, { headers: { authorization: `Bearer ${subscriberKey}` } });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await fetch(`${node.url}/no/such/path`)).status).toBe(404);
    const text = await scrape();
    expect(lookups(text, '200')).toBe(lookups(before, '200') + 4);
    expect(lookups(text, '429')).toBe(lookups(before, '429') + 2);
    expect(sample(text, 'spamx_subscriber_rate_limited_total', { route: '/v1/lookup/:ip' })).toBe(2);
    expect(sample(text, 'spamx_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'spamx_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'spamx_http_request_duration_seconds_count', { route: '/v1/lookup/:ip' })).toBeGreaterThanOrEqual(6);
    // No label anywhere holds an address or a key.
    for (const secret of [...LISTED, '1.0.0.7', subscriberKey, token]) expect(text).not.toContain(secret);
    // The subscriber's use, flushed to the store (once a minute, and at stop; here now).
    node.ctx.metrics.usage.flush();
    const usage = [...subscriberUsageSince(node.store, Date.now() - 3_600_000).values()];
    expect(usage).toEqual([expect.objectContaining({ requests: 4, limited: 2 })]);
    expect(usage[0]!.lastUsedAt).toBeGreaterThan(Date.now() - 600_000);
  });

  it('logs one access line per request: route, status, duration, subscriber name, never the key', async () => {
    const marker = logLines.length;
    const res = await fetch(`${node.url}/v1/lookup/${LISTED[0]}`, { headers: { 'x-api-key': subscriberKey } });
    await res.arrayBuffer();
    await fetch(`${node.url}/healthz`).then((r) => r.arrayBuffer());
    const lines = await waitFor('two access lines', () => {
      const found = logLines.slice(marker).filter((l) => l.msg === 'request');
      return found.length >= 2 ? found : undefined;
    });
    expect(lines).toHaveLength(2);
    // 429 while the key's bucket is still empty from the test before, 200 once a token came back.
    expect(lines[0]).toMatchObject({ level: 30, method: 'GET', route: '/v1/lookup/:ip', status: res.status, subscriber: 'isp-metrics', client: '127.0.0.1' });
    expect(typeof lines[0]!.ms).toBe('number');
    expect(lines[1]).toMatchObject({ method: 'GET', route: '/healthz', status: 200, client: '127.0.0.1' });
    expect(lines[1]).not.toHaveProperty('subscriber');
    // Every request of the test so far has its line; the key and the token appear in none.
    const all = logLines.filter((l) => l.msg === 'request');
    expect(all.filter((l) => l.route === '/v1/lookup/:ip' && l.subscriber === 'isp-metrics').length).toBeGreaterThanOrEqual(7);
    expect(rawLog).not.toContain(subscriberKey);
    expect(rawLog).not.toContain(token);
  });

  it('passes promtool check metrics, and the sample alert rules pass promtool check rules', async () => {
    const text = await scrape();
    const checked = await run('promtool', ['check', 'metrics'], text);
    expect(checked.out).toBe('');
    expect(checked.code).toBe(0);
    const rules = await run('promtool', ['check', 'rules', RULES], '');
    expect(rules.code, rules.out).toBe(0);
    expect(rules.out).toContain('SUCCESS: 3 rules found');
  });

  it('is scraped by a real Prometheus server, which then answers for the spamx_ pull series', async () => {
    const port = await freePort();
    const target = new URL(node.url).host;
    const config = join(tmp.path, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`,
        'scrape_configs:',
        '  - job_name: spamx',
        '    authorization:',
        `      credentials: ${JSON.stringify(token)}`,
        '    static_configs:',
        `      - targets: [${JSON.stringify(target)}]`,
        '',
      ].join('\n'),
    );
    let output = '';
    prometheus = spawn('/usr/bin/prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(tmp.path, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const api = `http://127.0.0.1:${port}/api/v1`;
    type Vector = { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    const series = await waitFor(
      'Prometheus to hold the spamx_pulls_total series',
      async () => {
        if (prometheus!.exitCode !== null) throw new Error(`prometheus exited ${prometheus!.exitCode}: ${output}`);
        const res = await fetch(`${api}/query?query=${encodeURIComponent('spamx_pulls_total{outcome="ok"}')}`);
        const body = (await res.json()) as Vector;
        return body.data.result.length > 0 ? body.data.result : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(series[0]!.metric).toMatchObject({ __name__: 'spamx_pulls_total', peer: 'jp-dekyo', outcome: 'ok', job: 'spamx' });
    expect(Number(series[0]!.value[1])).toBeGreaterThanOrEqual(1);
    // The scrape itself is healthy, and the alert rules are loaded.
    const up = (await (await fetch(`${api}/query?query=up`)).json()) as Vector;
    expect(up.data.result[0]!.value[1]).toBe('1');
    const rules = (await (await fetch(`${api}/rules`)).json()) as { data: { groups: { rules: { name: string }[] }[] } };
    expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort()).toEqual(['SpamxFeedFrozen', 'SpamxPeerNotPulled', 'SpamxRefusalSpike']);
  }, 120_000);
});
