import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Subscriber API keys on a node that is not public, made and revoked with the real `spamx
 * subscriber` CLI while the node serves: who may read, the rate limit, and that operator and
 * subscriber rights stay apart.
 */
const tmp = tempDir();
let node: SpamxNode;
let dir: string;

async function subscriberCli(...args: string[]) {
  return runCli(['subscriber', ...args, '--data', dir]);
}

async function addKey(name: string): Promise<string> {
  const result = await subscriberCli('add', name);
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  const key = lines.at(-1)!;
  // The key alone on the last line, so `spamx subscriber add isp | tail -1` captures it.
  expect(key).toMatch(/^spx_[A-Za-z0-9_-]{43}$/);
  expect(lines.slice(0, -1).join('\n')).not.toContain(key);
  return key;
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${node.url}${path}`, { headers });

beforeAll(async () => {
  dir = await initTestNode(tmp.path, { id: 'jp-dekyo', config: { subscribers: { public: false, rateLimitPerMinute: 5 } } });
  node = await startTestNode(dir);
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('subscriber keys', () => {
  it('without a key a non-public node answers 401 on every subscriber endpoint', async () => {
    for (const path of ['/v1/blocklist', '/v1/blocklist/changes', '/v1/lookup/61.4.12.7', '/v1/decisions/stream']) {
      expect((await get(path)).status, path).toBe(401);
    }
  });

  it('a key from `spamx subscriber add` is accepted as Bearer or X-Api-Key, and is no operator token', async () => {
    const key = await addKey('isp-a');
    expect((await get('/v1/blocklist/changes', { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await get('/v1/blocklist/changes', { 'x-api-key': key })).status).toBe(200);
    expect((await get('/v1/status', { authorization: `Bearer ${key}` })).status).toBe(401);
    const operatorToken = readFileSync(join(dir, 'operator.token'), 'utf8').trim();
    expect((await get('/v1/status', { authorization: `Bearer ${operatorToken}` })).status).toBe(200);
    expect((await get('/v1/blocklist/changes', { authorization: `Bearer ${operatorToken}` })).status).toBe(401);
    expect((await get('/v1/blocklist/changes', { 'x-api-key': operatorToken })).status).toBe(401);
  });

  it('limits each key to its rate across all subscriber endpoints, with Retry-After', async () => {
    const key = await addKey('isp-b');
    const headers = { 'x-api-key': key };
    for (const path of ['/v1/blocklist/changes', '/v1/blocklist/changes', '/v1/lookup/61.4.12.7', '/v1/decisions/stream', '/v1/decisions/stream']) {
      expect((await get(path, headers)).status, path).toBe(200);
    }
    const limited = await get('/v1/blocklist/changes', headers);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const stream = await get('/v1/decisions/stream', headers);
    expect(stream.status).toBe(429);
    expect(stream.headers.get('retry-after')).not.toBeNull();
    expect(((await stream.json()) as { message?: string }).message).toMatch(/requests per minute/);
    // The lookup route checks access from its one handler (no middleware): the same answer.
    const lookup = await get('/v1/lookup/61.4.12.7', headers);
    expect(lookup.status).toBe(429);
    expect(lookup.headers.get('retry-after')).not.toBeNull();
    // Another key has its own bucket.
    expect((await get('/v1/blocklist/changes', { 'x-api-key': await addKey('isp-c') })).status).toBe(200);
  });

  it('`spamx subscriber list` shows keys; `revoke` shuts a key out', async () => {
    const key = await addKey('isp-d');
    expect((await get('/v1/blocklist/changes', { 'x-api-key': key })).status).toBe(200);
    const listed = await subscriberCli('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^\d+\tisp-d\tcreated \S+\tactive$/m);
    expect(listed.stdout).not.toContain(key);

    const revoked = await subscriberCli('revoke', 'isp-d');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('revoked isp-d\n');
    // Revocation takes effect on the next request (test/integration/small-hardening.test.ts checks the very next one).
    await waitFor('the revoked key to be refused', async () => (await get('/v1/blocklist/changes', { 'x-api-key': key })).status === 401, {
      intervalMs: 1_000,
    });
    const json = await subscriberCli('list', '--json');
    const all = JSON.parse(json.stdout) as { name: string; createdAt: string; revokedAt: string | null }[];
    // RFC 3339, as every time the CLI prints (issue 15, item 4).
    expect(all.find((s) => s.name === 'isp-d')?.revokedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    for (const s of all) expect(s.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(all.find((s) => s.name === 'isp-a')?.revokedAt).toBeNull();
    const again = await subscriberCli('revoke', 'isp-d');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active subscriber isp-d/);
  });
});
