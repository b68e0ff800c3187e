import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { runCli, spawnServe, type ServeProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * PROTOCOL "Subscriber endpoints": `GET /v1/blocklist/changes` over HTTP against real nodes. A
 * client that starts from a snapshot and keeps passing the returned cursor sees every change
 * exactly once, in order, with no gaps: through expiry, pruning, and a node killed with SIGKILL
 * and restarted while its store changed underneath.
 */
const DAY = 86_400_000;
const tmp = tempDir();

interface ChangesPage {
  cursor: string;
  added: string[];
  removed: string[];
  more?: boolean;
}

/**
 * A subscriber's copy of the list, kept only from the stream. A change seen twice or one never
 * seen shows up as an added prefix it already has, a removed prefix it lacks, or a final
 * difference from the node's own list.
 */
class StreamClient {
  readonly set = new Set<string>();
  cursor = '';

  async snapshot(base: string): Promise<ChangesPage> {
    const page = await getJson<ChangesPage>(`${base}/v1/blocklist/changes`);
    expect(page.removed).toEqual([]);
    this.set.clear();
    for (const p of page.added) this.set.add(p);
    expect(this.set.size).toBe(page.added.length);
    this.cursor = page.cursor;
    return page;
  }

  /** Polls until the node has nothing more; answers the net changes seen. */
  async poll(base: string): Promise<{ added: string[]; removed: string[] }> {
    const seen = { added: [] as string[], removed: [] as string[] };
    for (;;) {
      const page = await getJson<ChangesPage>(`${base}/v1/blocklist/changes?cursor=${encodeURIComponent(this.cursor)}`);
      for (const p of page.removed) {
        expect(this.set.has(p), `removed ${p}, which the client does not hold`).toBe(true);
        this.set.delete(p);
      }
      for (const p of page.added) {
        expect(this.set.has(p), `added ${p}, which the client already holds`).toBe(false);
        this.set.add(p);
      }
      seen.added.push(...page.added);
      seen.removed.push(...page.removed);
      this.cursor = page.cursor;
      if (!page.more) return { added: seen.added.sort(), removed: seen.removed.sort() };
    }
  }

  sorted(): string[] {
    return [...this.set].sort();
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  expect(res.status, `${url}: ${text}`).toBe(200);
  return JSON.parse(text) as T;
}

/** The node's list, as `/v1/blocklist?format=txt` serves it. */
async function txtList(base: string): Promise<string[]> {
  const res = await fetch(`${base}/v1/blocklist?format=txt`);
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .sort();
}

describe('change stream with a hand-driven clock', () => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const clock = () => now;
  let hub: SpamxNode;
  let other: SpamxNode;
  const client = new StreamClient();
  const iso = (ms: number) => new Date(ms).toISOString();

  async function list(lines: readonly (readonly [string, number])[]): Promise<void> {
    const csv = lines.map(([prefix, days]) => `${prefix},${iso(now)},${iso(now + days * DAY)}`).join('\n');
    expect(hub.reportText(`prefix,last_seen,expires\n${csv}\n`).refused).toEqual([]);
    await hub.publish();
    // Projected at this clock reading, before a test moves the clock on.
    hub.project();
  }

  async function delist(...prefixes: string[]): Promise<void> {
    hub.delist(prefixes, null);
    await hub.publish();
    hub.project();
  }

  async function expectInStep(): Promise<void> {
    expect(client.sorted()).toEqual(await txtList(hub.url));
  }

  beforeAll(async () => {
    hub = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo' }), clock);
    other = await startTestNode(await initTestNode(tmp.path, { id: 'cn-isc' }), clock);
    await list([
      ['61.4.12.7', 60],
      ['116.31.64.0/24', 60],
      ['202.12.27.0/24', 2],
      ['2400:cb00::/32', 60],
    ]);
  });

  afterAll(async () => {
    await Promise.all([hub, other].map((n) => n?.destroy()));
  });

  it('without a cursor answers the whole list as added', async () => {
    const page = await client.snapshot(hub.url);
    expect(page.added.sort()).toEqual(['116.31.64.0/24', '202.12.27.0/24', '2400:cb00::/32', '61.4.12.7/32']);
    await expectInStep();
  });

  it('an empty poll is a few hundred bytes at most', async () => {
    const res = await fetch(`${hub.url}/v1/blocklist/changes?cursor=${client.cursor}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThan(200);
    expect(JSON.parse(text)).toEqual({ cursor: client.cursor, added: [], removed: [] });
  });

  it('polls see each listing and delisting once, net per poll', async () => {
    await list([['61.200.1.0/24', 60]]);
    await delist('116.31.64.0/24');
    expect(await client.poll(hub.url)).toEqual({ added: ['61.200.1.0/24'], removed: ['116.31.64.0/24'] });
    await expectInStep();
    // Listed and delisted between two polls: the client never needs to hear of it.
    await list([['61.201.0.0/16', 60]]);
    await delist('61.201.0.0/16');
    // Delisted and listed again between two polls: still listed, nothing to do either.
    await delist('61.4.12.7');
    await list([['61.4.12.7', 60]]);
    expect(await client.poll(hub.url)).toEqual({ added: [], removed: [] });
    await expectInStep();
  });

  it('an expiry is a removal', async () => {
    now += 3 * DAY;
    expect(await client.poll(hub.url)).toEqual({ added: [], removed: ['202.12.27.0/24'] });
    await expectInStep();
  });

  it('a cursor from another store, or a malformed one, is refused', async () => {
    const foreign = (await getJson<ChangesPage>(`${other.url}/v1/blocklist/changes`)).cursor;
    const res = await fetch(`${hub.url}/v1/blocklist/changes?cursor=${foreign}`);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/another store.*snapshot/);
    expect((await fetch(`${hub.url}/v1/blocklist/changes?cursor=not-a-cursor`)).status).toBe(400);
    const ahead = `${client.cursor.split('.')[0]}.999999999`;
    expect((await fetch(`${hub.url}/v1/blocklist/changes?cursor=${ahead}`)).status).toBe(410);
  });

  it('a cursor older than the retained log gets 410; a fresh snapshot streams on', async () => {
    const stale = client.cursor;
    await list([['202.12.0.0/16', 60]]);
    // The node prunes what is older than subscribers.changesRetentionDays (7) as it serves.
    now += 8 * DAY;
    const res = await fetch(`${hub.url}/v1/blocklist/changes?cursor=${stale}`);
    expect(res.status).toBe(410);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('CURSOR_EXPIRED');
    expect(body.error.message).toMatch(/older than the 7-day change log; restart from a snapshot/);
    // The whole log is pruned now; a snapshot's cursor must still be good for the next poll.
    await client.snapshot(hub.url);
    await expectInStep();
    expect(await client.poll(hub.url)).toEqual({ added: [], removed: [] });
    await list([['116.31.64.0/24', 60]]);
    expect(await client.poll(hub.url)).toEqual({ added: ['116.31.64.0/24'], removed: [] });
    await expectInStep();
  });
});

describe('change stream across a SIGKILL and restart of spamx serve', () => {
  let peer: SpamxNode;
  let jpDir: string;
  let serve: ServeProcess | undefined;
  const client = new StreamClient();

  async function cli(...args: string[]): Promise<string> {
    const input = args[0] === 'report' ? args.pop() : undefined;
    const result = await runCli([...args, '--data', jpDir], input);
    expect(result.code, `spamx ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  }

  async function peerLists(text: string, delists: string[] = []): Promise<void> {
    if (text) peer.reportText(text);
    if (delists.length > 0) peer.delist(delists, null);
    await peer.publish();
  }

  async function pullNow(url: string): Promise<void> {
    const token = readFileSync(join(jpDir, 'operator.token'), 'utf8').trim();
    const res = await fetch(`${url}/v1/peers/cn-isc/pull`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status, await res.text()).toBe(200);
  }

  beforeAll(async () => {
    peer = await startTestNode(await initTestNode(join(tmp.path, 'restart'), { id: 'cn-isc', config: PUBLIC_FEEDS }));
    jpDir = await initTestNode(join(tmp.path, 'restart'), { id: 'jp-dekyo' });
    await cli('peer', 'add', peer.url);
    await cli('report', '-', '61.4.12.7\n116.31.64.0/24\n202.12.27.0/24\n');
    await cli('publish');
    serve = await spawnServe(jpDir);
  });

  afterAll(async () => {
    await serve?.kill();
    await peer?.destroy();
  });

  it('loses and repeats nothing while the node is killed and restarted between polls', async () => {
    await client.snapshot(serve!.url);
    expect(client.sorted()).toEqual(['116.31.64.0/24', '202.12.27.0/24', '61.4.12.7/32']);

    await peerLists('61.4.100.1\n61.4.100.2\n');
    await pullNow(serve!.url);
    expect(await client.poll(serve!.url)).toEqual({ added: ['61.4.100.1/32', '61.4.100.2/32'], removed: [] });

    // Killed right after a pull is applied, perhaps before the node projected it.
    await peerLists('61.4.100.3\n');
    await pullNow(serve!.url);
    await serve!.kill();

    // While it is down: the partner lists and delists, and the operator works with the CLI.
    await peerLists('61.4.100.4\n', ['61.4.100.1']);
    await cli('report', '-', '116.31.65.0/24\n');
    await cli('delist', '202.12.27.0/24');
    await cli('publish');
    await cli('pull', 'cn-isc');

    serve = await spawnServe(jpDir);
    expect(await client.poll(serve.url)).toEqual({
      added: ['116.31.65.0/24', '61.4.100.3/32', '61.4.100.4/32'],
      removed: ['202.12.27.0/24', '61.4.100.1/32'],
    });
    expect(client.sorted()).toEqual(await txtList(serve.url));

    // Killed again with nothing changed; the cursor is still good and the next poll is empty.
    await serve.kill();
    serve = await spawnServe(jpDir);
    expect(await client.poll(serve.url)).toEqual({ added: [], removed: [] });
    await peerLists('', ['61.4.100.2']);
    await pullNow(serve.url);
    expect(await client.poll(serve.url)).toEqual({ added: [], removed: ['61.4.100.2/32'] });
    expect(client.sorted()).toEqual(await txtList(serve.url));
    expect(client.sorted()).toEqual(['116.31.64.0/24', '116.31.65.0/24', '61.4.100.3/32', '61.4.100.4/32', '61.4.12.7/32']);
  });
});

afterAll(() => tmp.cleanup());
