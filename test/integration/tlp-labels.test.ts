import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOperatorToken } from '../../src/config/identity.js';
import type { SpamxNode } from '../../src/daemon.js';
import { dig, v4Name } from '../helpers/dig.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { addressesIn, countryOf, inCountries, mergeRanges, prefixRanges, straddlingBlock, v4, v4Range } from '../helpers/origin-rows.js';
import { runCli } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 16 item 2: distribution labels (TLP 2.0) on every surface, across four real centres.
 * The hub `cn-isc` (config `country: CN`) pulls three partners publishing under different labels
 * and lists one piece of its own. For each reader — anonymous, a whole-list key, a key scoped to
 * China (domestic), a key scoped to Japan (foreign), the operator — the set each surface serves
 * must equal the set this test computes from the labels, the scopes and the origin data's CSV rows
 * (test/helpers/origin-rows.ts, a plain scan): clear/green reach everyone; amber only scoped keys,
 * only inside both their scope and China; amber+strict and red only the operator. Then an amber
 * source joins a green listing, and the change and CrowdSec streams must tell each reader to
 * remove what it may no longer see.
 */
const ZONE = 'bl.tlp.test';
const tmp = tempDir();
let now = Date.now();
const nodes: SpamxNode[] = [];
let hub: SpamxNode;
let hubDir: string;
let jp: SpamxNode;
let kr: SpamxNode;
let hk: SpamxNode;
let operatorToken: string;
const keys = new Map<string, string>();

const CN = addressesIn('CN', 6);
const JP = addressesIn('JP', 3);
const KR = addressesIn('KR', 2);
const HK = addressesIn('HK', 2);
const STRADDLE = straddlingBlock('CN', 'KR', 16);
const host = (a: string) => `${a}/32`;

/** Each piece the hub ends up serving, with the label its sources give it. */
const GREEN = [host(CN[0]!), host(JP[0]!), host(JP[1]!)]; // jp-dekyo (default), the hub's own JP[1]
const TRANSITION = host(CN[1]!); // green from jp-dekyo, then amber from kr-kisa too
const CLEAR = [host(KR[0]!)]; // jp-dekyo, --tlp clear (its own batch)
const AMBER = [host(CN[2]!), host(KR[1]!), STRADDLE]; // kr-kisa, publish.tlp amber
const STRICT = [host(CN[3]!)]; // hk-ofta, `spamx report --tlp amber+strict`
const RED = [host(HK[0]!), host(CN[4]!)]; // hk-ofta, POST /v1/reports {"tlp":"red"}

type Reader = 'anonymous' | 'all' | 'cn' | 'jp';
const READERS: Reader[] = ['anonymous', 'all', 'cn', 'jp'];
const SCOPE: Record<Reader, string[] | undefined> = { anonymous: undefined, all: undefined, cn: ['CN'], jp: ['JP'] };

/** Ranges of `prefixes` inside `countries` (all of them when undefined). */
function within(prefixes: readonly string[], countries: readonly string[] | undefined): [number, number][] {
  if (!countries) return mergeRanges(prefixes.map(v4Range));
  const set = new Set(countries);
  return mergeRanges(prefixes.flatMap((p) => inCountries(...v4Range(p), set)));
}

/** What `reader` must see: clear/green in its scope; amber in its scope and China (the hub's country); nothing else. */
function expected(reader: Reader, transitioned: boolean): [number, number][] {
  const green = [...GREEN, ...CLEAR, ...(transitioned ? [] : [TRANSITION])];
  const amber = [...AMBER, ...(transitioned ? [TRANSITION] : [])];
  const scope = SCOPE[reader];
  const seen = within(green, scope);
  if (!scope) return seen;
  return mergeRanges([...seen, ...within(amber, scope.filter((c) => c === 'CN'))]);
}

function headers(reader: Reader | 'operator'): Record<string, string> {
  if (reader === 'operator') return { authorization: `Bearer ${operatorToken}` };
  return reader === 'anonymous' ? {} : { 'x-api-key': keys.get(reader)! };
}

async function get(reader: Reader | 'operator', path: string): Promise<Response> {
  return fetch(`${hub.url}${path}`, { headers: headers(reader) });
}

/** The prefixes of a blocklist body (comments, headers and rbldnsd's test entry skipped). */
function prefixesOf(format: string, body: string): string[] {
  if (format === 'json') return (JSON.parse(body) as { prefixes: { prefix: string }[] }).prefixes.map((p) => p.prefix);
  const lines = body.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith(':') && !l.startsWith('$'));
  if (format === 'csv') return lines.slice(1).map((l) => l.split(',')[0]!);
  return [...body.replace(/^#.*$/gm, '').matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(\/\d{1,2})?(?![\d.])/g)]
    .map((m) => `${m[1]}${m[2] ?? '/32'}`)
    .filter((p) => !p.startsWith('127.'));
}

/** A change-stream follower that applies each page as set operations (removed, then added). */
class ChangeClient {
  readonly set = new Set<string>();
  cursor = '';
  constructor(readonly reader: Reader) {}
  async snapshot(): Promise<void> {
    const page = (await (await get(this.reader, '/v1/blocklist/changes')).json()) as { cursor: string; added: string[] };
    this.set.clear();
    for (const p of page.added) this.set.add(p);
    this.cursor = page.cursor;
  }
  async poll(): Promise<{ added: string[]; removed: string[] }> {
    const seen = { added: [] as string[], removed: [] as string[] };
    for (;;) {
      const res = await get(this.reader, `/v1/blocklist/changes?cursor=${this.cursor}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { cursor: string; added: string[]; removed: string[]; more?: boolean };
      for (const p of page.removed) this.set.delete(p);
      for (const p of page.added) this.set.add(p);
      seen.added.push(...page.added);
      seen.removed.push(...page.removed);
      this.cursor = page.cursor;
      if (!page.more) return seen;
    }
  }
}

interface Decision {
  id: number;
  value: string;
  scope: string;
}

/** A CrowdSec bouncer's view: decisions by id, deletions applied first. */
class Bouncer {
  readonly held = new Map<number, string>();
  constructor(readonly reader: Reader) {}
  async poll(startup: boolean): Promise<{ added: Decision[]; deleted: Decision[] }> {
    const res = await get(this.reader, `/v1/decisions/stream${startup ? '?startup=true' : ''}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { new: Decision[] | null; deleted: Decision[] | null };
    if (startup) this.held.clear();
    for (const d of body.deleted ?? []) this.held.delete(d.id);
    for (const d of body.new ?? []) this.held.set(d.id, d.value);
    return { added: body.new ?? [], deleted: body.deleted ?? [] };
  }
  prefixes(): string[] {
    return [...this.held.values()].map((v) => (v.includes('/') ? v : host(v)));
  }
}

async function pullAll(): Promise<void> {
  for (const id of ['jp-dekyo', 'kr-kisa', 'hk-ofta']) expect((await hub.pull(id))?.error, id).toBeUndefined();
  hub.project();
}

beforeAll(async () => {
  const start = async (id: string, config: Record<string, unknown>) => {
    const dir = await initTestNode(tmp.path, { id, config: { ...PUBLIC_FEEDS, ...config } });
    const node = await startTestNode(dir, () => now);
    nodes.push(node);
    return { node, dir };
  };
  ({ node: jp } = await start('jp-dekyo', {}));
  ({ node: kr } = await start('kr-kisa', { publish: { schedule: '0 0 1 1 *', tlp: 'amber' } }));
  const hkStarted = await start('hk-ofta', {});
  hk = hkStarted.node;
  ({ node: hub, dir: hubDir } = await start('cn-isc', {
    country: 'CN',
    dnsbl: { port: 0, zone: ZONE },
    subscribers: { public: true, rateLimitPerMinute: 100_000 },
  }));
  operatorToken = loadOperatorToken(hub.config.paths);
  for (const [name, scope] of [
    ['all', []],
    ['cn', ['--scope', 'country:CN']],
    ['jp', ['--scope', 'country:JP']],
  ] as const) {
    const added = await runCli(['subscriber', 'add', name, '--data', hubDir, ...scope]);
    expect(added.code, added.stderr).toBe(0);
    keys.set(name, added.stdout.trimEnd().split('\n').at(-1)!);
  }
  // jp-dekyo: green by default, one clear listing (its own batch: one label a batch).
  jp.reportText(`${[...GREEN.slice(0, 2), TRANSITION].join('\n')}\n`);
  jp.reportObjects([{ prefix: CLEAR[0] }], { tlp: 0 });
  expect((await jp.publish()).length).toBe(2);
  // kr-kisa: amber from its config.
  kr.reportText(`${AMBER.join('\n')}\n`);
  await kr.publish();
  // hk-ofta: amber+strict through the CLI's --tlp, red through the API's "tlp".
  const file = join(tmp.path, 'strict.txt');
  writeFileSync(file, `${STRICT.join('\n')}\n`);
  const reported = await runCli(['report', file, '--data', hkStarted.dir, '--tlp', 'amber+strict', '--quiet']);
  expect(reported.code, reported.stderr).toBe(0);
  const hkToken = loadOperatorToken(hk.config.paths);
  const posted = await fetch(`${hk.url}/v1/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hkToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ entries: RED.map((prefix) => ({ prefix })), tlp: 'red' }),
  });
  expect(posted.status).toBe(202);
  expect((await hk.publish()).length).toBe(2);
  // The hub's own listing: green.
  hub.reportText(`${GREEN[2]}\n`);
  await hub.publish();
  // Partners both ways: a publisher serves batches labelled beyond green to pinned partners only.
  for (const peer of [jp, kr, hk]) {
    await pinTestPeer(hub, peer);
    await pinTestPeer(peer, hub);
  }
  await pullAll();
}, 240_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.destroy()));
  tmp.cleanup();
});

describe('distribution labels (TLP) on every surface', () => {
  it('the test data spans the countries it means to', () => {
    expect([...CN.map((a) => countryOf(v4(a)))]).toEqual(CN.map(() => 'CN'));
    expect(JP.map((a) => countryOf(v4(a)))).toEqual(JP.map(() => 'JP'));
    const [lo, hi] = v4Range(STRADDLE);
    expect(inCountries(lo, hi, new Set(['CN'])).length).toBeGreaterThan(0);
    expect(inCountries(lo, hi, new Set(['KR'])).length).toBeGreaterThan(0);
  });

  it('batches carry their label: `tlp` in each payload, one label a batch', async () => {
    const labels = async (node: SpamxNode, id: string) => {
      // The publisher's operator reads its own feed whatever the labels.
      const auth = { authorization: `Bearer ${loadOperatorToken(node.config.paths)}` };
      const page = (await (await fetch(`${node.url}/v1/feeds/${id}/batches?after=0`, { headers: auth })).json()) as { batches: { jws: string }[] };
      return page.batches.map(({ jws }) => (JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { tlp?: string }).tlp);
    };
    expect(await labels(jp, 'jp-dekyo')).toEqual(['green', 'clear']);
    expect(await labels(kr, 'kr-kisa')).toEqual(['amber']);
    expect((await labels(hk, 'hk-ofta')).sort()).toEqual(['amber+strict', 'red']);
  });

  it('GET /v1/blocklist, in every format, gives each reader exactly what its labels and scope allow', async () => {
    for (const reader of READERS) {
      for (const format of ['txt', 'csv', 'json', 'rbldnsd', 'ipset', 'postfix', 'abuse-csv']) {
        const res = await get(reader, `/v1/blocklist?format=${format}&family=4`);
        expect(res.status, `${reader} ${format}`).toBe(200);
        const body = await res.text();
        const prefixes = format === 'abuse-csv' ? body.trim().split('\n').slice(1).map((l) => l.split(',')[1]!) : prefixesOf(format, body);
        expect(prefixRanges(prefixes), `${reader} ${format}`).toEqual(expected(reader, false));
      }
      const aggregated = await get(reader, '/v1/blocklist?aggregate=true&family=4');
      expect(prefixRanges(prefixesOf('txt', await aggregated.text())), `${reader} aggregate`).toEqual(expected(reader, false));
    }
  });

  it('`spamx export` is the operator\'s: every label, named in json; --everyone keeps to clear and green', async () => {
    const all = await runCli(['export', '--data', hubDir, '--format', 'json']);
    expect(all.code, all.stderr).toBe(0);
    const rows = (JSON.parse(all.stdout) as { prefixes: { prefix: string; tlp?: string }[] }).prefixes;
    expect(prefixRanges(rows.map((r) => r.prefix))).toEqual(within([...GREEN, TRANSITION, ...CLEAR, ...AMBER, ...STRICT, ...RED], undefined));
    const label = new Map(rows.map((r) => [r.prefix, r.tlp]));
    expect(label.get(STRICT[0]!)).toBe('amber+strict');
    expect(label.get(RED[0]!)).toBe('red');
    expect(label.get(AMBER[0]!)).toBe('amber');
    expect(label.get(CLEAR[0]!)).toBe(undefined); // clear reaches everyone: no label shown
    expect(label.get(GREEN[0]!)).toBe(undefined);
    const everyone = await runCli(['export', '--data', hubDir, '--everyone']);
    expect(everyone.code, everyone.stderr).toBe(0);
    expect(prefixRanges(prefixesOf('txt', everyone.stdout))).toEqual(expected('all', false));
  });

  it('the DNSBL answers for clear and green only', async () => {
    const port = hub.dnsblPort!;
    await waitFor('the DNSBL to serve', async () => (await dig(port, v4Name(GREEN[0]!.split('/')[0]!, ZONE))).status === 'NOERROR');
    const everyone = expected('anonymous', false);
    for (const prefix of [...GREEN, TRANSITION, ...CLEAR, ...AMBER, ...STRICT, ...RED]) {
      const address = prefix.split('/')[0]!;
      const a = v4(address);
      const listed = everyone.some(([lo, hi]) => lo <= a && a <= hi);
      const answer = await dig(port, v4Name(address, ZONE));
      expect(answer.status, prefix).toBe(listed ? 'NOERROR' : 'NXDOMAIN');
      if (listed) expect(answer.answer.length, prefix).toBeGreaterThan(0);
    }
  });

  it('lookups: a listing the caller may not see answers as not listed; the operator sees each label', async () => {
    for (const prefix of [...GREEN, TRANSITION, ...CLEAR, ...AMBER, ...STRICT, ...RED]) {
      const address = prefix.split('/')[0]!;
      const a = v4(address);
      for (const reader of READERS) {
        const res = await get(reader, `/v1/lookup/${address}`);
        const scope = SCOPE[reader];
        if (scope && !scope.includes(countryOf(a) ?? '')) {
          expect(res.status, `${reader} ${address}`).toBe(403);
          continue;
        }
        expect(res.status, `${reader} ${address}`).toBe(200);
        const body = (await res.json()) as { listed: boolean; matches: unknown[]; listedBy: { tlp?: string }[] };
        const listed = expected(reader, false).some(([lo, hi]) => lo <= a && a <= hi);
        expect(body.listed, `${reader} ${address}`).toBe(listed);
        if (!listed) expect(body.matches, `${reader} ${address}: nothing of it shows`).toEqual([]);
        expect(body.listedBy.every((p) => p.tlp === undefined)).toBe(true);
      }
      const operator = (await (await get('operator', `/v1/lookup/${address}`)).json()) as { listed: boolean; listedBy: { tlp?: string }[] };
      expect(operator.listed, address).toBe(true);
      // Every label but green, the default, is named.
      const want = STRICT.includes(prefix) ? 'amber+strict' : RED.includes(prefix) ? 'red' : AMBER.includes(prefix) ? 'amber' : CLEAR.includes(prefix) ? 'clear' : undefined;
      expect(operator.listedBy.map((p) => p.tlp), address).toEqual([want]);
    }
  });

  it('the public lookup page shows clear and green listings only', async () => {
    for (const prefix of [...GREEN, ...CLEAR, ...AMBER, ...STRICT, ...RED]) {
      const address = prefix.split('/')[0]!;
      const page = await (await fetch(`${hub.url}/lookup/${address}`)).text();
      const everyone = [...GREEN, ...CLEAR].includes(prefix);
      expect(page, address).toContain(everyone ? 'is listed by' : 'is not listed by this node');
      if (!everyone) expect(page, address).not.toContain('hk-ofta');
    }
  });

  it("the console's listing page names each source's label", async () => {
    const page = async (prefix: string) =>
      (await fetch(`${hub.url}/ui/listing/${prefix.split('/')[0]!}`, { headers: { authorization: `Bearer ${operatorToken}` } })).text();
    expect(await page(STRICT[0]!)).toContain('TLP:AMBER+STRICT');
    expect(await page(RED[0]!)).toContain('TLP:RED');
    expect(await page(AMBER[0]!)).toContain('TLP:AMBER');
    expect(await page(GREEN[0]!)).toContain('TLP:GREEN');
  });

  it('the operator\'s jurisdiction list holds every label, named', async () => {
    const res = await get('operator', '/v1/jurisdiction');
    expect(res.status).toBe(200);
    const rows = ((await res.json()) as { rows: { prefix: string; tlp: string }[] }).rows;
    const label = new Map(rows.map((r) => [r.prefix, r.tlp]));
    expect(label.get(STRICT[0]!)).toBe('amber+strict');
    expect(label.get(RED[1]!)).toBe('red');
    expect(label.get(AMBER[0]!)).toBe('amber');
    expect(label.get(GREEN[0]!)).toBe('green');
  });

  it('an amber source joining a green listing: the change and CrowdSec streams tell each reader what it may no longer see', async () => {
    const clients = READERS.map((r) => new ChangeClient(r));
    const bouncers = READERS.filter((r) => r !== 'anonymous').map((r) => new Bouncer(r));
    for (const c of clients) {
      await c.snapshot();
      expect(prefixRanges(c.set), `${c.reader} snapshot`).toEqual(expected(c.reader, false));
    }
    for (const b of bouncers) {
      await b.poll(true);
      expect(prefixRanges(b.prefixes()), `${b.reader} startup`).toEqual(expected(b.reader, false));
    }
    // kr-kisa, amber, lists what jp-dekyo listed green: the piece becomes amber.
    now += 60_000;
    kr.reportText(`${TRANSITION}\n`);
    await kr.publish();
    await pullAll();
    await waitFor('the piece to turn amber', async () => {
      const body = (await (await get('operator', `/v1/lookup/${TRANSITION.split('/')[0]}`)).json()) as { listedBy: { tlp: string }[] };
      return body.listedBy[0]?.tlp === 'amber';
    });
    for (const c of clients) {
      const seen = await c.poll();
      expect(prefixRanges(c.set), `${c.reader} after`).toEqual(expected(c.reader, true));
      // Whole-list readers are told to remove it; the domestic key keeps it (amber, in China).
      if (c.reader === 'anonymous' || c.reader === 'all') expect(seen.removed, c.reader).toContain(TRANSITION);
      if (c.reader === 'cn') expect(c.set.has(TRANSITION)).toBe(true);
    }
    for (const b of bouncers) {
      const seen = await b.poll(false);
      expect(prefixRanges(b.prefixes()), `${b.reader} after`).toEqual(expected(b.reader, true));
      if (b.reader === 'all') expect(seen.deleted.map((d) => d.value)).toContain(TRANSITION.split('/')[0]);
    }
    // The DNSBL drops it too; its blocklist and a fresh snapshot agree.
    expect((await dig(hub.dnsblPort!, v4Name(TRANSITION.split('/')[0]!, ZONE))).status).toBe('NXDOMAIN');
    for (const reader of READERS) {
      expect(prefixRanges(prefixesOf('txt', await (await get(reader, '/v1/blocklist?family=4')).text())), reader).toEqual(expected(reader, true));
      const fresh = new ChangeClient(reader);
      await fresh.snapshot();
      expect(prefixRanges(fresh.set), `${reader} fresh snapshot`).toEqual(expected(reader, true));
    }
  });
});
