import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrowdsecDecision } from '../../src/core/crowdsec-decision.js';
import type { SpamxNode } from '../../src/daemon.js';
import { effectiveRows, pruneChanges } from '../../src/store/effective-query.js';
import { addSubscriber } from '../../src/store/subscriber-store.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * `GET /v1/decisions/stream` over HTTP as a LAPI bouncer sees it, with a hand-driven clock:
 * startup, per-key memory between polls, deletions by the id that was sent, expiry, extensions.
 */
const DAY = 86_400_000;
const tmp = tempDir();
let now = Date.parse('2026-11-01T00:00:00Z');
const clock = () => now;
let node: SpamxNode;
let key: string;

interface StreamAnswer {
  new: CrowdsecDecision[] | null;
  deleted: CrowdsecDecision[] | null;
}

async function poll(query = '', apiKey = key): Promise<StreamAnswer> {
  const res = await fetch(`${node.url}/v1/decisions/stream${query}`, { headers: { 'x-api-key': apiKey } });
  expect(res.status).toBe(200);
  return (await res.json()) as StreamAnswer;
}

async function listAndPublish(csv: string): Promise<void> {
  expect(node.reportText(`prefix,last_seen,expires\n${csv}`).refused).toEqual([]);
  await node.publish();
  node.project();
}

async function delistAndPublish(prefix: string): Promise<void> {
  node.delist([prefix], 'false-positive');
  await node.publish();
  node.project();
}

const iso = (ms: number) => new Date(ms).toISOString();
const idOf = (prefix: string) => [...effectiveRows(node.store)].find((r) => r.prefix === prefix)?.id;

beforeAll(async () => {
  node = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo' }), clock);
  key = addSubscriber(node.store, 'isp-crowdsec', now).key;
  await listAndPublish(
    [`61.4.12.7,${iso(now)},${iso(now + 10 * DAY)}`, `116.31.64.0/24,${iso(now)},${iso(now + 20 * DAY)}`, `2400:cb00::1,${iso(now)},${iso(now + 10 * DAY)}`].join('\n'),
  );
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('CrowdSec decision stream', () => {
  it('needs a subscriber key even on a public node, and answers errors in LAPI shape', async () => {
    const res = await fetch(`${node.url}/v1/decisions/stream?startup=true`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { message?: string; error?: { code: string } };
    // The Go bouncers dereference `message`; without it they panic instead of logging.
    expect(body.message).toMatch(/X-Api-Key/);
    expect(body.error?.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${node.url}/v1/decisions/stream`, { headers: { 'x-api-key': 'spx_nope' } })).status).toBe(401);
    expect((await fetch(`${node.url}/v1/decisions/stream?startup=yes`, { headers: { 'x-api-key': key } })).status).toBe(400);
  });

  it('a first poll without startup starts the stream: every decision as new', async () => {
    const first = await poll();
    expect(first.deleted).toBeNull();
    expect(first.new).toEqual(
      expect.arrayContaining([
        { id: idOf('61.4.12.7/32'), origin: 'spamx', scenario: 'spamx/jp-dekyo', scope: 'Ip', type: 'ban', value: '61.4.12.7', duration: '240h0m0s' },
        { id: idOf('116.31.64.0/24'), origin: 'spamx', scenario: 'spamx/jp-dekyo', scope: 'Range', type: 'ban', value: '116.31.64.0/24', duration: '480h0m0s' },
        { id: idOf('2400:cb00::1/128'), origin: 'spamx', scenario: 'spamx/jp-dekyo', scope: 'Ip', type: 'ban', value: '2400:cb00::1', duration: '240h0m0s' },
      ]),
    );
    expect(first.new).toHaveLength(3);
    const res = await fetch(`${node.url}/v1/decisions/stream`, { headers: { 'x-api-key': key } });
    expect(await res.text()).toBe('{"new":null,"deleted":null}');
  });

  it('later polls carry what changed, deletions under the id that was sent', async () => {
    const delisted = idOf('116.31.64.0/24')!;
    await listAndPublish(`61.200.1.0/24,${iso(now)},${iso(now + 5 * DAY)}`);
    await delistAndPublish('116.31.64.0/24');
    const answer = await poll('?startup=false');
    expect(answer.new).toEqual([expect.objectContaining({ id: idOf('61.200.1.0/24'), value: '61.200.1.0/24', duration: '120h0m0s' })]);
    expect(answer.deleted).toEqual([expect.objectContaining({ id: delisted, value: '116.31.64.0/24', scope: 'Range', scenario: 'spamx/jp-dekyo' })]);
    expect(await poll()).toEqual({ new: null, deleted: null });
  });

  it('a piece delisted and listed again between polls is deleted by its old id and sent under its new one', async () => {
    const old = idOf('61.200.1.0/24')!;
    await delistAndPublish('61.200.1.0/24');
    await listAndPublish(`61.200.1.0/24,${iso(now)},${iso(now + 20 * DAY)}`);
    const fresh = idOf('61.200.1.0/24')!;
    expect(fresh).not.toBe(old);
    const answer = await poll();
    expect(answer.deleted?.map((d) => d.id)).toEqual([old]);
    expect(answer.new?.map((d) => [d.id, d.duration])).toEqual([[fresh, '480h0m0s']]);
  });

  it('an extended expiry is sent again under the same id, so bouncers keep the ban as long', async () => {
    const id = idOf('61.4.12.7/32');
    await listAndPublish(`61.4.12.7,${iso(now)},${iso(now + 40 * DAY)}`);
    expect((await poll()).new).toEqual([expect.objectContaining({ id, value: '61.4.12.7', duration: '960h0m0s' })]);
  });

  it('an expired piece is deleted', async () => {
    const id = idOf('2400:cb00::1/128');
    now += 10 * DAY + 1000;
    const answer = await poll();
    expect(answer.new).toBeNull();
    expect(answer.deleted).toEqual([expect.objectContaining({ id, scope: 'Ip', value: '2400:cb00::1' })]);
  });

  it('startup=true restarts the stream; scopes filters; keys keep separate streams', async () => {
    const all = await poll('?startup=true');
    expect(all.new?.map((d) => d.value).sort()).toEqual(['61.200.1.0/24', '61.4.12.7']);
    expect(all.deleted).toBeNull();
    const other = addSubscriber(node.store, 'isp-other', now).key;
    expect((await poll('?startup=true&scopes=ip', other)).new?.map((d) => d.value)).toEqual(['61.4.12.7']);
    expect(await poll()).toEqual({ new: null, deleted: null });
  });

  it('a key whose changes were pruned (it stopped polling) gets the whole list again', async () => {
    await listAndPublish(`202.12.27.33,${iso(now)},${iso(now + 3 * DAY)}`);
    pruneChanges(node.store, now + 1);
    const answer = await poll();
    expect(answer.new?.map((d) => d.value).sort()).toEqual(['202.12.27.33', '61.200.1.0/24', '61.4.12.7']);
    expect(answer.deleted).toBeNull();
    expect(await poll()).toEqual({ new: null, deleted: null });
  });
});
