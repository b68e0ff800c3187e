import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseDescriptor } from '../../src/config/descriptor.js';
import type { SpamxNode } from '../../src/daemon.js';
import { pinPeer } from '../../src/node-files/pin-peer.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 18, item 7 ("the small ones"), each against a real `spamx serve` or the real CLI: a
 * revoked key refused on the very next request, failed authentications limited per address
 * (subscriber keys and operator tokens), peer URLs held to http(s) and their credentials never
 * logged or printed, refused report text escaped
 * and truncated, an allowlist error that names the line and not its content, and a pull lease
 * whose holder is a zombie or a reused pid taken over.
 */
const tmp = tempDir();
let publisher: SpamxNode;
let serve: ServeProcess;
let dir: string;
let operatorToken: string;
const SECRET = 's3cretpw';

beforeAll(async () => {
  publisher = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc', config: PUBLIC_FEEDS }));
  dir = await initTestNode(tmp.path, { id: 'jp-hard', config: { subscribers: { public: false } } });
  operatorToken = readFileSync(join(dir, 'operator.token'), 'utf8').trim();
  // A peer whose URLs carry credentials and lead nowhere (port 9 on loopback is closed), so a
  // pull fails and logs them; and a copy of it on ftp://.
  const config = loadConfig(dir);
  await pinPeer(config, parseDescriptor(publisher.descriptor(), publisher.url), {
    url: `http://user:${SECRET}@127.0.0.1:9`,
    mirrors: [`http://mirror:${SECRET}@127.0.0.1:9/m`],
  });
  const file = JSON.parse(readFileSync(join(config.paths.peers, 'cn-isc.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(config.paths.peers, 'kr-ftp.json'), JSON.stringify({ ...file, id: 'kr-ftp', url: 'ftp://127.0.0.1/feed', mirrors: [] }));
  serve = await spawnServe(dir);
});

afterAll(async () => {
  await serve?.stop();
  await publisher?.destroy();
  tmp.cleanup();
});

/** A request from a chosen loopback source address, so one "client" can be told from another. */
function getFrom(
  localAddress: string,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${serve.url}${path}`, { localAddress, headers, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function addKey(name: string): Promise<string> {
  const added = await runCli(['subscriber', 'add', name, '--data', dir]);
  expect(added.code, added.stderr).toBe(0);
  return added.stdout.trimEnd().split('\n').at(-1)!;
}

describe('subscriber keys on a serving node', () => {
  it('a revoked key is refused on the very next request after `spamx subscriber revoke` returns', async () => {
    const key = await addKey('isp-revoked');
    expect((await getFrom('127.0.0.1', '/v1/blocklist/changes', { 'x-api-key': key })).status).toBe(200);
    const revoked = await runCli(['subscriber', 'revoke', 'isp-revoked', '--data', dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await getFrom('127.0.0.1', '/v1/blocklist/changes', { 'x-api-key': key })).status).toBe(401);
  });

  it('limits failed authentications per client address (429 with Retry-After), not other addresses', async () => {
    const good = await addKey('isp-good');
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await getFrom('127.0.0.3', '/v1/blocklist/changes', { 'x-api-key': `spx_wrong${i}` });
      statuses.push(res.status);
      retryAfter ??= res.retryAfter;
    }
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await getFrom('127.0.0.1', '/v1/blocklist/changes', { 'x-api-key': good })).status).toBe(200);
  });
});

describe('operator tokens on a serving node', () => {
  it('limits wrong tokens per client address across every operator route (429 RATE_LIMITED with Retry-After), not other addresses', async () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const answers: { status: number; retryAfter: string | undefined; body: string }[] = [];
    // Wrong guesses spread over routes: the count is one per address, whichever route is asked.
    for (let i = 0; i < 20; i++) {
      answers.push(await (i % 2 === 0 ? getFrom('127.0.0.5', '/v1/status', bearer(`wrong-${i}`)) : getFrom('127.0.0.5', '/v1/publish', bearer(`wrong-${i}`), 'POST')));
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses[0]).toBe(401);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const limited = answers.at(-1)!;
    expect(JSON.parse(limited.body).error.code).toBe('RATE_LIMITED');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    // Once limited, even the right token is refused from that address: the answer must not tell a guess from the token.
    expect((await getFrom('127.0.0.5', '/v1/status', bearer(operatorToken))).status).toBe(429);
    // Another address, with the token, is served; a request with no token at all guesses nothing and is not counted.
    expect((await getFrom('127.0.0.6', '/v1/status', bearer(operatorToken))).status).toBe(200);
    for (let i = 0; i < 15; i++) expect((await getFrom('127.0.0.6', '/v1/status', {})).status).toBe(401);
    expect((await getFrom('127.0.0.6', '/v1/status', bearer(operatorToken))).status).toBe(200);
  });
});

describe('peer URLs', () => {
  it('refuses a peer file whose URL is not http(s), naming the file and the field', async () => {
    const ignored = await waitFor('the ftp peer to be refused', () => serve.lines().find((l) => l.msg === 'peer file ignored'));
    expect(ignored.code).toBe('PEER_INVALID');
    expect(String(ignored.err)).toMatch(/kr-ftp\.json: url: .*http/);
  });

  it('never logs, stores or answers the credentials in a peer URL', async () => {
    const pulled = await fetch(`${serve.url}/v1/peers/cn-isc/pull`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}` } });
    const answer = await pulled.text();
    expect(answer).toContain('PEER_UNREACHABLE');
    await waitFor('the failed pull to be logged', () => serve.lines().some((l) => l.msg === 'pull failed'));
    const failures = await (await fetch(`${serve.url}/v1/pull-failures`, { headers: { authorization: `Bearer ${operatorToken}` } })).text();
    const status = await runCli(['status', '--json', '--data', dir]);
    expect(failures).toContain('127.0.0.1:9');
    for (const text of [answer, JSON.stringify(serve.lines()), failures, status.stdout, status.stderr]) expect(text).not.toContain(SECRET);
  });

  it('`spamx peer list` shows peer and mirror URLs without their credentials, as text and as JSON', async () => {
    const text = await runCli(['peer', 'list', '--data', dir]);
    const json = await runCli(['peer', 'list', '--json', '--data', dir]);
    expect(text.code, text.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    expect(text.stdout).toMatch(/^cn-isc\thttp:\/\/\*\*\*@127\.0\.0\.1:9\t.*\tmirrors=http:\/\/\*\*\*@127\.0\.0\.1:9\/m$/m);
    const [peer] = JSON.parse(json.stdout) as { id: string; url: string; mirrors: string[] }[];
    expect(peer).toMatchObject({ id: 'cn-isc', url: 'http://***@127.0.0.1:9', mirrors: ['http://***@127.0.0.1:9/m'] });
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(out).not.toContain(SECRET);
  });

  it('`spamx peer add` prints the URL it pinned without its credentials', async () => {
    const other = await initTestNode(tmp.path, { id: 'jp-add' });
    const withCredentials = publisher.url.replace('http://', `http://user:${SECRET}@`);
    const added = await runCli(['peer', 'add', withCredentials, '--mirror', withCredentials, '--data', other]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`at ${publisher.url.replace('http://', 'http://***@')}`);
    const listed = await runCli(['peer', 'list', '--data', other]);
    for (const out of [added.stdout, added.stderr, listed.stdout, listed.stderr]) expect(out).not.toContain(SECRET);
    // The peer file keeps them: the node needs them to pull.
    expect(readFileSync(join(loadConfig(other).paths.peers, 'cn-isc.json'), 'utf8')).toContain(SECRET);
  });
});

describe('refused report text', () => {
  it('is printed with its control characters escaped', async () => {
    const hostile = '\x1b[31m61.4.12.7x\x1b]0;owned\x07\u202e';
    const queued = await runCli(['report', '-', '--data', dir], `${hostile}\n`);
    expect(queued.stderr).toContain('-:1:');
    const listed = await runCli(['refusals', '--data', dir]);
    for (const out of [queued.stderr, listed.stdout]) {
      expect(out).not.toMatch(/[\x1b\x07\u202e]/);
      expect(out).toContain('\\x1b[31m61.4.12.7x');
    }
  });

  it('is stored truncated: a 10 MB line does not become a 20 MB refusal row', async () => {
    const line = 'A'.repeat(10_000_000);
    const res = await fetch(`${serve.url}/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'text/plain' }, body: line });
    expect(res.status).toBe(422);
    expect((await res.text()).length).toBeLessThan(2_000);
    const listed = await runCli(['refusals', '--json', '--limit', '1', '--data', dir]);
    const [row] = JSON.parse(listed.stdout) as { prefix: string; reason: string }[];
    expect(row!.prefix.startsWith('AAAA')).toBe(true);
    expect(row!.prefix).toMatch(/truncated/);
    expect(row!.prefix.length + row!.reason.length).toBeLessThan(2_000);
  });
});

it('an allowlistFile pointing at another file names the line, not its content', async () => {
  const secretFile = join(tmp.path, 'not-an-allowlist');
  writeFileSync(secretFile, `root:${SECRET}:0:0:root:/root:/bin/bash\n`);
  const other = await initTestNode(tmp.path, { id: 'jp-allow', config: { policy: { allowlistFile: secretFile } as never } });
  const status = await runCli(['status', '--data', other]);
  expect(status.code).not.toBe(0);
  expect(status.stderr).toMatch(/line 1/);
  expect(status.stderr).not.toContain(SECRET);
});

describe('pull lease', () => {
  let node: SpamxNode;
  beforeAll(async () => {
    node = await startTestNode(await initTestNode(tmp.path, { id: 'jp-lease' }));
    await pinTestPeer(node, publisher);
  });
  afterAll(async () => node?.destroy());
  const plant = (owner: string) =>
    node.store.db
      .prepare(`INSERT INTO peer_state (peer, lease_owner, lease_until) VALUES ('cn-isc', ?, ?)
        ON CONFLICT (peer) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until`)
      .run(owner, Date.now() + 60_000);

  it('is taken over from a reused pid whose start time differs, kept from the live holder', async () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    plant(`${hostname()}:${process.pid}:${started}:live-pull`);
    expect((await node.pull('cn-isc'))?.error?.code).toBe('PEER_BUSY');
    plant(`${hostname()}:${process.pid}:1:reused-pid`);
    expect((await node.pull('cn-isc'))?.ok).toBe(true);
  });

  it('is taken over from a zombie', async () => {
    // `sleep 1` exits under a parent (`sleep 60`, exec'd by sh) that never reaps it: a zombie. (A
    // child that exits at once can be reaped by sh itself before the exec, on a loaded machine.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const zombie = await waitFor('the zombie', () => {
        const pid = /^(\d+)\n/.exec(out)?.[1];
        if (!pid) return undefined;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? pid : undefined;
      });
      plant(`${hostname()}:${zombie}:zombie-pull`);
      expect((await node.pull('cn-isc'))?.ok).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
